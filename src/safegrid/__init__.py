"""SafeGrid: power marketing platform with security governance built in."""

__version__ = "0.1.0"
