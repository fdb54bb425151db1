"""Scheduled lifecycle jobs: departure freezes every five minutes (IAM-5, well inside the
4-hour limit) and the monthly idle-account list (IAM-6)."""

from __future__ import annotations

from safegrid.bootstrap import Platform
from safegrid.governance.departures import run_departure_freeze
from safegrid.governance.idle import run_idle_listing
from safegrid.platform import jobs
from safegrid.security.actor import Actor


def departure_freeze(platform: Platform, actor: Actor) -> dict[str, int]:
    """Freeze accounts whose departure has taken effect and revoke their sessions."""
    return run_departure_freeze(platform.uow(actor))


def idle_listing(platform: Platform, actor: Actor) -> dict[str, int | str]:
    """List accounts idle for more than 30 days for a system administrator to review."""
    return run_idle_listing(platform.uow(actor))


jobs.register("governance.departure_freeze", "*/5 * * * *", departure_freeze)
jobs.register("governance.idle_accounts", "0 3 1 * *", idle_listing)
