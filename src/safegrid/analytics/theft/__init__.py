"""ANA-1: abnormal use and theft ranking from daily consumption."""
