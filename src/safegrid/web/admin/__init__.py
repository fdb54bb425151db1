"""Console pages of administration: dashboard, org tree, staff, audit log, alerts and jobs."""
