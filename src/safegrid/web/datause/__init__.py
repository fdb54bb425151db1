"""Console pages of data use and the data inventory."""
