"""Funds security: ledger, counter, online channels, risk engine (PAY-1..7)."""
