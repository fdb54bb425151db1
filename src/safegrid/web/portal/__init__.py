"""Customer portal pages (HALL-6, HALL-10): mobile-first, Chinese first."""
