"""Console pages of meter readings."""
