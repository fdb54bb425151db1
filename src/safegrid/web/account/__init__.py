"""Console pages of signing in and of the signed-in user's own account."""
