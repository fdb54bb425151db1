"""Console pages of tariffs, bill runs and bills."""
