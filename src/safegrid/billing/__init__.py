"""Meter reading, tariffs and billing (抄核收)."""
