"""Access-log retention (AUD-4): rows older than the configured retention are deleted in
one statement with one summary audit entry; a retention under two years is refused, so a
misconfiguration can never shorten what the rule says to keep."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from safegrid.datause import rate_limit
from safegrid.datause.events import AccessLogsPurged
from safegrid.datause.models import AccessLog
from safegrid.datause.settings import MIN_ACCESS_LOG_RETENTION_DAYS, get_datause_settings
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform


def do_purge_access_logs(uow: UnitOfWork, retention_days: int) -> dict[str, object]:
    if retention_days < MIN_ACCESS_LOG_RETENTION_DAYS:
        raise ValidationProblem(
            f"访问日志至少保留两年（{MIN_ACCESS_LOG_RETENTION_DAYS} 天）/ access logs are kept "
            f"at least two years ({MIN_ACCESS_LOG_RETENTION_DAYS} days); "
            f"{retention_days} refused",
            field="retention_days",
        )
    now = clock.now()
    cutoff = now - timedelta(days=retention_days)
    with uow:
        result = uow.session.execute(delete(AccessLog).where(AccessLog.at < cutoff))
        deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
        # Rate-limit events matter for one hour only; clearing them rides along.
        rate_limit.purge(uow, now - rate_limit.WINDOW)
        uow.audit(
            "datause.access_log_retention",
            object_type="access_log",
            after={
                "deleted": deleted,
                "cutoff": cutoff.isoformat(),
                "retention_days": retention_days,
            },
        )
        uow.emit(AccessLogsPurged(deleted=deleted, cutoff=cutoff.isoformat()))
        uow.commit()
    return {"deleted": deleted, "cutoff": cutoff.isoformat(), "retention_days": retention_days}


def run_access_log_retention(
    platform: Platform, actor: Actor | None = None, retention_days: int | None = None
) -> dict[str, object]:
    """Delete access-log rows older than the configured retention (≥ 2 years)."""
    days = retention_days or get_datause_settings().access_log_retention_days
    actor = actor or Actor.system("datause.access_log_retention")
    return do_purge_access_logs(platform.uow(actor), days)
