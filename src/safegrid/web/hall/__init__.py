"""Console and public pages of the business hall (HALL-2, HALL-3, HALL-9)."""
