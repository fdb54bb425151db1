"""Scheduled jobs of data use (registered at import; listed in platform.jobs.JOB_MODULES)."""

from __future__ import annotations

from safegrid.datause.retention import run_access_log_retention
from safegrid.platform import jobs

jobs.register(
    "datause.access_log_retention",
    "40 3 * * *",
    run_access_log_retention,
    "Delete access-log entries older than the retention (at least two years, AUD-4)",
)
