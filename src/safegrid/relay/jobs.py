"""The relay's scheduled jobs (ADR 0016): relay every minute (``safegrid events relay
--follow`` workers relay within a second; this job keeps a deployment without one
draining), and purge published events past the retention daily."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from safegrid.platform import jobs
from safegrid.relay import relay, services
from safegrid.security.actor import Actor

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform

# Leaves the minute's run time to finish before the next tick (a still-running run is
# skipped anyway).
RELAY_BUDGET_SECONDS: Final = 50


def run_relay(platform: Platform, actor: Actor) -> dict[str, int]:
    """Deliver waiting events to subscribers and webhooks"""
    report = relay.drain(platform, budget_seconds=RELAY_BUDGET_SECONDS)
    return {
        "delivered": report.delivered,
        "retrying": report.retrying,
        "dead": report.dead,
        "published": report.published,
    }


def run_purge(platform: Platform, actor: Actor) -> dict[str, int]:
    """Delete published events older than the retention"""
    days = platform.settings.events_retention_days
    purged = 0
    while True:
        n = services.do_purge(platform.uow(actor), days)
        purged += n
        if n < services.PURGE_CHUNK:
            return {"purged": purged, "retention_days": days}


jobs.register("events.relay", "* * * * *", run_relay)
jobs.register("events.purge", "40 3 * * *", run_purge)
