"""Bills and bill runs (BILL-4)."""
