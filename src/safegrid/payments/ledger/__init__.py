"""The exactly-once payment ledger (PAY-7): payments and their append-only events, account
credit, set-based capture, refunds, search and trace."""
