"""Analytics console pages (ANA-5)."""
