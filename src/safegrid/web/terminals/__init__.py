"""Console pages of field terminals."""
