"""Console pages of the account lifecycle (work orders, permission changes, departures)."""
