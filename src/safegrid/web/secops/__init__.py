"""Security-operations console (OPS-1..8)."""
