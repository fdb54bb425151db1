"""Console pages of the customer archive and meters."""
