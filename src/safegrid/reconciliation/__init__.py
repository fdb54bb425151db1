"""Reconciliation (对账, REC-1..5): bank statements in, matched against the ledger."""
