"""Data use (DATA-4, DATA-5, AUD-4): requests and grants to see sensitive values unmasked,
the access log of every unmasked view, watermarked exports and their rate limit."""
