"""Tariffs: configuration by effective date and the pure charge calculation (BILL-3)."""
