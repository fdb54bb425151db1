"""Console pages of payments: counter, daily cash, ledger and refunds, risk, customer portal."""
