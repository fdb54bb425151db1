"""The relay's bookkeeping in SQL (ADR 0016): fan new outbox rows out into one delivery per
target, claim due deliveries under a lease, record how each attempt went, and mark an event
published once every target has it. Set-based throughout: a batch is a few statements,
whatever its size."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Literal, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from safegrid.platform.events import EventRecord, Subscriber, parse_patterns, topic_matches
from safegrid.platform.outbox import OutboxMessage
from safegrid.platform.sql_dialect import claim_skipping_locked
from safegrid.relay.models import SETTLED, DeliveryState, EventDelivery, EventWebhook

# How long a claimed delivery stays invisible to other relays while this one delivers it;
# the deliverer stops starting new attempts well before (dispatch.LEASE_USE).
LEASE: Final = timedelta(minutes=5)
RETRY_CAP: Final = timedelta(hours=1)
_NO_SYNC: Final = {"synchronize_session": False}


@dataclasses.dataclass(frozen=True)
class WebhookTarget:
    id: int
    url: str
    secret: str
    active: bool


@dataclasses.dataclass(frozen=True)
class Claimed:
    delivery_id: int
    target: str
    attempts: int  # before this attempt
    record: EventRecord
    webhook: WebhookTarget | None


Kind = Literal["delivered", "failed", "released", "dropped"]


@dataclasses.dataclass(frozen=True)
class Outcome:
    claimed: Claimed
    kind: Kind
    error: str | None = None


def fan_out(
    session: Session, subscribers: Mapping[str, Subscriber], batch: int, now: datetime
) -> tuple[int, int]:
    """Claim the oldest events not yet fanned out and create their deliveries, due now.
    An event nobody wants is published at once. Returns (events fanned out, published)."""
    rows = session.execute(
        claim_skipping_locked(
            select(OutboxMessage.id, OutboxMessage.topic)
            .where(OutboxMessage.relayed_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(batch)
        )
    ).all()
    if not rows:
        return 0, 0
    hooks = [
        (hook_id, parse_patterns(spec))
        for hook_id, spec in session.execute(
            select(EventWebhook.id, EventWebhook.events).where(EventWebhook.active.is_(True))
        ).all()
    ]
    deliveries: list[dict[str, Any]] = []
    unwanted: list[int] = []
    for message_id, topic in rows:
        targets: list[tuple[str, int | None]] = [
            (sub.target, None) for sub in subscribers.values() if sub.wants(topic)
        ]
        targets += [
            (f"webhook:{hook_id}", hook_id)
            for hook_id, patterns in hooks
            if any(topic_matches(p, topic) for p in patterns)
        ]
        if not targets:
            unwanted.append(message_id)
        deliveries += [
            {
                "message_id": message_id,
                "target": target,
                "webhook_id": hook_id,
                "state": DeliveryState.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for target, hook_id in targets
        ]
    if deliveries:
        session.execute(insert(cast(Table, EventDelivery.__table__)), deliveries)
    ids = [r.id for r in rows]
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(relayed_at=now),
        execution_options=_NO_SYNC,
    )
    if unwanted:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(unwanted)).values(published_at=now),
            execution_options=_NO_SYNC,
        )
    return len(ids), len(unwanted)


def claim_due(session: Session, batch: int, now: datetime) -> list[Claimed]:
    """The oldest due deliveries, leased to this relay: their next attempt moves to
    ``now + LEASE``, so no other relay claims them while this one delivers."""
    ids = list(
        session.scalars(
            claim_skipping_locked(
                select(EventDelivery.id)
                .where(
                    EventDelivery.state == DeliveryState.PENDING,
                    EventDelivery.next_attempt_at <= now,
                )
                .order_by(EventDelivery.id)
                .limit(batch)
            )
        )
    )
    if not ids:
        return []
    session.execute(
        update(EventDelivery).where(EventDelivery.id.in_(ids)).values(next_attempt_at=now + LEASE),
        execution_options=_NO_SYNC,
    )
    rows = session.execute(
        select(
            EventDelivery.id,
            EventDelivery.target,
            EventDelivery.attempts,
            EventDelivery.webhook_id,
            OutboxMessage.id,
            OutboxMessage.topic,
            OutboxMessage.payload,
            OutboxMessage.created_at,
        )
        .join(OutboxMessage, OutboxMessage.id == EventDelivery.message_id)
        .where(EventDelivery.id.in_(ids))
        .order_by(EventDelivery.id)
    ).all()
    hook_ids = {r[3] for r in rows if r[3] is not None}
    hooks = {
        w.id: WebhookTarget(w.id, w.url, w.secret, w.active)
        for w in session.scalars(select(EventWebhook).where(EventWebhook.id.in_(hook_ids)))
    }
    return [
        Claimed(
            delivery_id=r[0],
            target=r[1],
            attempts=r[2],
            record=EventRecord(id=r[4], topic=r[5], payload=r[6], created_at=r[7]),
            webhook=hooks.get(r[3]) if r[3] is not None else None,
        )
        for r in rows
    ]


def retry_delay(attempts: int, base_seconds: float) -> timedelta:
    """Exponential backoff after the ``attempts``-th failure: base, 2×base, 4×base…"""
    return min(timedelta(seconds=base_seconds * 2 ** (attempts - 1)), RETRY_CAP)


def record(
    session: Session,
    outcomes: Sequence[Outcome],
    now: datetime,
    *,
    max_attempts: int,
    retry_base_seconds: float,
) -> dict[str, int]:
    """Write down how each claimed delivery went; only rows still pending are touched (an
    administrator may have dropped them meanwhile). Returns counts by result."""
    table = cast(Table, EventDelivery.__table__)
    by_kind: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_kind.setdefault(o.kind, []).append(o)
    pending = table.c.state == DeliveryState.PENDING.value

    def ids(kind: str) -> list[int]:
        return [o.claimed.delivery_id for o in by_kind.get(kind, [])]

    if ids("delivered"):
        session.execute(
            update(table)
            .where(table.c.id.in_(ids("delivered")), pending)
            .values(
                state=DeliveryState.DELIVERED,
                delivered_at=now,
                next_attempt_at=None,
                attempts=table.c.attempts + 1,
            )
        )
    if ids("dropped"):
        session.execute(
            update(table)
            .where(table.c.id.in_(ids("dropped")), pending)
            .values(
                state=DeliveryState.DROPPED, next_attempt_at=None, last_error="webhook disabled"
            )
        )
    if ids("released"):
        session.execute(
            update(table)
            .where(table.c.id.in_(ids("released")), pending)
            .values(next_attempt_at=now)
        )
    counts = {"delivered": len(ids("delivered")), "retrying": 0, "dead": 0}
    failed = []
    for o in by_kind.get("failed", []):
        attempts = o.claimed.attempts + 1
        dead = attempts >= max_attempts
        counts["dead" if dead else "retrying"] += 1
        failed.append(
            {
                "d_id": o.claimed.delivery_id,
                "d_state": (DeliveryState.DEAD if dead else DeliveryState.PENDING).value,
                "d_attempts": attempts,
                "d_next": None if dead else now + retry_delay(attempts, retry_base_seconds),
                "d_error": (o.error or "failed")[:500],
            }
        )
    if failed:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("d_id"), pending)
            .values(
                state=bindparam("d_state"),
                attempts=bindparam("d_attempts"),
                next_attempt_at=bindparam("d_next"),
                last_error=bindparam("d_error"),
            ),
            failed,
        )
    counts["dropped"] = len(ids("dropped"))
    counts["released"] = len(ids("released"))
    return counts


def settle(session: Session, message_ids: Iterable[int], now: datetime) -> int:
    """Mark published the given events whose every delivery is delivered or dropped."""
    wanted = sorted(set(message_ids))
    if not wanted:
        return 0
    unsettled = (
        select(EventDelivery.id)
        .where(
            EventDelivery.message_id == OutboxMessage.id,
            EventDelivery.state.not_in(SETTLED),
        )
        .exists()
    )
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(wanted),
            OutboxMessage.published_at.is_(None),
            ~unsettled,
        )
        .values(published_at=now),
        execution_options=_NO_SYNC,
    )
    return int(getattr(result, "rowcount", 0) or 0)
