"""Scheduled security operations: hourly behaviour analytics (OPS-1)."""

from __future__ import annotations

import dataclasses
from typing import Any

from safegrid.bootstrap import Platform
from safegrid.platform import jobs
from safegrid.secops.catalog import do_install_defaults
from safegrid.secops.detections import do_run_detection
from safegrid.security.actor import Actor


def detect(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Score the last 24 hours of every account against its 30-day baseline."""
    do_install_defaults(platform.uow(actor))
    return dataclasses.asdict(do_run_detection(platform.uow(actor)))


jobs.register("secops.detect", "5 * * * *", detect)


def backup(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Full backup, verified after writing; backups past the retention are dropped."""
    from safegrid.secops.backup.service import do_run_backup

    m = do_run_backup(platform, actor)
    return {"backup": m.id, "bytes": m.size, "verified": m.verified_at}


jobs.register("secops.backup", "0 2 * * *", backup)


def wal_seal(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Seal the WAL segments PostgreSQL archived into the spool (nothing to do on SQLite)."""
    from safegrid.secops.backup import wal
    from safegrid.secops.backup.sealed import backup_key
    from safegrid.secops.backup.settings import backup_settings
    from safegrid.security.key_store import master_key

    root = backup_settings().dir
    return {"sealed": wal.seal_spool(root, backup_key(master_key(platform.settings)))}


jobs.register("secops.wal_seal", "* * * * *", wal_seal)


def drills(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Plan this year's drills (idempotent) and escalate drill findings past their due day."""
    from safegrid.platform import clock
    from safegrid.secops.emergency import do_plan_year, run_overdue_escalation

    planned = do_plan_year(platform.uow(actor), clock.business_day().year)
    return {"planned": planned, **run_overdue_escalation(platform.uow(actor))}


jobs.register("secops.drills", "30 8 * * *", drills)
