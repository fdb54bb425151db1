"""The relay loop (ADR 0016): claim → deliver → record, in batches, until nothing is due.

Each batch is two short units of work as the system actor ``system:events.relay``, each
audited: the claim (fan out new events into deliveries, lease the due ones) and the record
(how each attempt went, events now published). Delivery itself runs between them, outside
any transaction, so a slow webhook never holds a lock and a subscriber may open its own
unit of work. Several relays may run at once (the server's job, ``safegrid events relay
--follow`` workers): on PostgreSQL they claim disjoint rows with SKIP LOCKED, on SQLite
the claims are serialised by the write lock; a leased delivery is invisible to the others.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import TYPE_CHECKING, Final

from safegrid.platform import clock, events
from safegrid.relay import deliveries, dispatch
from safegrid.security.actor import Actor

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform

log = logging.getLogger(__name__)

BATCH: Final = 500
ACTOR_NAME: Final = "events.relay"


@dataclasses.dataclass
class RelayReport:
    fanned_out: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    dropped: int = 0
    released: int = 0
    published: int = 0
    batches: int = 0

    def add(self, other: RelayReport) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def idle(self) -> bool:
        return self.batches == 0


def relay_batch(platform: Platform, *, batch: int = BATCH) -> RelayReport:
    """One claim → deliver → record round. An idle report means nothing was due."""
    actor = Actor.system(ACTOR_NAME, channel="job")
    subscribers = events.subscribers()
    report = RelayReport()
    with platform.uow(actor) as uow:
        now = clock.now()
        report.fanned_out, report.published = deliveries.fan_out(
            uow.session, subscribers, batch, now
        )
        claimed = deliveries.claim_due(uow.session, batch, now)
        if not report.fanned_out and not claimed:
            return report
        uow.audit(
            "events.relay_claimed",
            object_type="outbox",
            after={
                "fanned_out": report.fanned_out,
                "published": report.published,
                "claimed": len(claimed),
            },
        )
        uow.commit()
    report.batches = 1
    if not claimed:
        return report
    settings = platform.settings
    outcomes = dispatch.deliver(
        claimed,
        subscribers,
        now + deliveries.LEASE,
        timeout_seconds=settings.events_webhook_timeout_seconds,
    )
    with platform.uow(actor) as uow:
        done = clock.now()
        counts = deliveries.record(
            uow.session,
            outcomes,
            done,
            max_attempts=settings.events_max_attempts,
            retry_base_seconds=settings.events_retry_base_seconds,
        )
        published = deliveries.settle(uow.session, (c.record.id for c in claimed), done)
        uow.audit(
            "events.relayed",
            object_type="outbox",
            after={**counts, "published": published},
        )
        uow.commit()
    report.delivered = counts["delivered"]
    report.retrying = counts["retrying"]
    report.dead = counts["dead"]
    report.dropped = counts["dropped"]
    report.released = counts["released"]
    report.published += published
    return report


def drain(
    platform: Platform, *, batch: int = BATCH, budget_seconds: float | None = None
) -> RelayReport:
    """Relay batches until nothing is due (retries waiting for their backoff are not
    due), or until ``budget_seconds`` have passed."""
    total = RelayReport()
    started = time.monotonic()
    while budget_seconds is None or time.monotonic() - started < budget_seconds:
        report = relay_batch(platform, batch=batch)
        if report.idle:
            break
        total.add(report)
    return total


def follow(
    platform: Platform, stop: threading.Event, *, interval: float = 1.0, batch: int = BATCH
) -> RelayReport:
    """Relay as events arrive until ``stop`` is set; idle, it looks once per ``interval``
    (one indexed query on the rows still waiting)."""
    total = RelayReport()
    while not stop.is_set():
        try:
            report = drain(platform, batch=batch, budget_seconds=60)
        except Exception:
            # E.g. the database restarting: a worker outlives it. What this round had
            # claimed is leased, so it is delivered again after the lease (at least once).
            log.exception("relay round failed; retrying in %.0f s", max(interval, 5.0))
            stop.wait(max(interval, 5.0))
            continue
        total.add(report)
        if report.idle:
            stop.wait(interval)
    return total
