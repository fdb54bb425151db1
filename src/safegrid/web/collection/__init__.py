"""Console pages of collection and arrears."""
