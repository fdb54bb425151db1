"""Administering the relay (ADR 0016): webhook subscriptions (create, disable), dead
deliveries (list, re-queue), purging published events, and the backlog status. Every
change is a ``do_*`` in one audited unit of work; the relay itself is in ``relay``."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.platform.outbox import OutboxMessage
from safegrid.platform.uow import UnitOfWork
from safegrid.relay import deliveries
from safegrid.relay.models import DeliveryState, EventDelivery, EventWebhook
from safegrid.relay.schemas import (
    DeliveryOut,
    RelayStatus,
    RequeueResult,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
)

NO_WEBHOOK = "回调订阅不存在 / no such webhook"
PURGE_CHUNK = 5000
LISTED = 200


def list_webhooks(uow: UnitOfWork) -> list[WebhookOut]:
    with uow:
        rows = uow.session.scalars(select(EventWebhook).order_by(EventWebhook.id)).all()
        return [WebhookOut.model_validate(w) for w in rows]


def do_create_webhook(uow: UnitOfWork, data: WebhookCreate) -> WebhookCreated:
    """Register a webhook; its signing secret is generated here and returned only now."""
    secret = secrets.token_urlsafe(32)
    with uow:
        hook = EventWebhook(
            name=data.name,
            url=data.url,
            events=data.events,
            secret=secret,
            active=True,
            created_at=clock.now(),
            created_by=uow.actor.username,
        )
        uow.session.add(hook)
        try:
            uow.session.flush()
        except IntegrityError:
            raise ConflictError(
                f"名为 {data.name!r} 的回调订阅已存在 / a webhook named {data.name!r} exists",
                field="name",
            ) from None
        uow.audit(
            "events.webhook_created",
            object_type="event_webhook",
            object_id=hook.id,
            after={"name": hook.name, "url": hook.url, "events": hook.events},
        )
        uow.commit()
        return WebhookCreated(webhook=WebhookOut.model_validate(hook), secret=secret)


def do_disable_webhook(uow: UnitOfWork, webhook_id: int) -> WebhookOut:
    """Stop delivering to a webhook. Its waiting and dead deliveries are dropped, so the
    events they held back can be published."""
    with uow:
        s = uow.session
        hook = s.scalars(
            select(EventWebhook).where(EventWebhook.id == webhook_id).with_for_update()
        ).one_or_none()
        if hook is None:
            raise NotFoundError(NO_WEBHOOK)
        if not hook.active:
            raise ConflictError("回调订阅已停用 / the webhook is already disabled", field="active")
        now = clock.now()
        hook.active = False
        hook.disabled_at = now
        hook.disabled_by = uow.actor.username
        open_states = (DeliveryState.PENDING, DeliveryState.DEAD)
        held = EventDelivery.webhook_id == webhook_id, EventDelivery.state.in_(open_states)
        message_ids = list(s.scalars(select(EventDelivery.message_id).where(*held).distinct()))
        s.execute(
            update(EventDelivery)
            .where(*held)
            .values(
                state=DeliveryState.DROPPED, next_attempt_at=None, last_error="webhook disabled"
            ),
            execution_options={"synchronize_session": False},
        )
        published = deliveries.settle(s, message_ids, now)
        uow.audit(
            "events.webhook_disabled",
            object_type="event_webhook",
            object_id=hook.id,
            before={"active": True},
            after={"active": False, "dropped_events": len(message_ids), "published": published},
        )
        uow.commit()
        return WebhookOut.model_validate(hook)


def list_deliveries(
    uow: UnitOfWork, state: DeliveryState = DeliveryState.DEAD, limit: int = LISTED
) -> list[DeliveryOut]:
    with uow:
        rows = uow.session.execute(
            select(EventDelivery, OutboxMessage.topic)
            .join(OutboxMessage, OutboxMessage.id == EventDelivery.message_id)
            .where(EventDelivery.state == state)
            .order_by(EventDelivery.id.desc())
            .limit(limit)
        ).all()
        return [
            DeliveryOut(
                id=d.id,
                message_id=d.message_id,
                topic=topic,
                target=d.target,
                state=d.state.value,
                attempts=d.attempts,
                next_attempt_at=d.next_attempt_at,
                last_error=d.last_error,
                created_at=d.created_at,
            )
            for d, topic in rows
        ]


def do_requeue(uow: UnitOfWork, delivery_ids: Sequence[int] | None) -> RequeueResult:
    """Give dead deliveries a fresh set of attempts, due now (``None``: every dead one).
    Named deliveries that do not exist are a 404, ones that are not dead a 409, and then
    nothing is re-queued."""
    with uow:
        s = uow.session
        dead = EventDelivery.state == DeliveryState.DEAD
        wanted = sorted(set(delivery_ids)) if delivery_ids is not None else None
        where = [dead] if wanted is None else [dead, EventDelivery.id.in_(wanted)]
        ids = list(s.scalars(select(EventDelivery.id).where(*where).with_for_update()))
        if wanted is not None and len(ids) != len(wanted):
            found = set(s.scalars(select(EventDelivery.id).where(EventDelivery.id.in_(wanted))))
            missing = [i for i in wanted if i not in found]
            if missing:
                raise NotFoundError(f"投递记录不存在 / no delivery {missing[0]}")
            alive = [i for i in wanted if i not in set(ids)]
            raise ConflictError(
                f"只能重新排队已放弃的投递 / delivery {alive[0]} is not dead",
                field="delivery_ids",
            )
        if not ids:
            return RequeueResult(requeued=0)
        s.execute(
            update(EventDelivery)
            .where(EventDelivery.id.in_(ids), dead)
            .values(state=DeliveryState.PENDING, attempts=0, next_attempt_at=clock.now()),
            execution_options={"synchronize_session": False},
        )
        uow.audit(
            "events.deliveries_requeued",
            object_type="event_delivery",
            object_id=ids[0] if len(ids) == 1 else None,
            after={"delivery_ids": ids[:LISTED], "count": len(ids)},
        )
        uow.commit()
        return RequeueResult(requeued=len(ids))


def do_purge(uow: UnitOfWork, retention_days: int, limit: int = PURGE_CHUNK) -> int:
    """Delete up to ``limit`` events published more than ``retention_days`` ago, with their
    deliveries (unpublished events are never purged). Returns how many were deleted."""
    with uow:
        s = uow.session
        cutoff = clock.now() - timedelta(days=retention_days)
        ids = list(
            s.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.published_at < cutoff)
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        )
        if not ids:
            return 0
        no_sync = {"synchronize_session": False}
        s.execute(
            delete(EventDelivery).where(EventDelivery.message_id.in_(ids)),
            execution_options=no_sync,
        )
        s.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)), execution_options=no_sync)
        uow.audit(
            "events.purged",
            object_type="outbox",
            after={
                "count": len(ids),
                "first_id": ids[0],
                "last_id": ids[-1],
                "before": str(cutoff),
            },
        )
        uow.commit()
        return len(ids)


def status(uow: UnitOfWork, stale_after_minutes: int) -> RelayStatus:
    with uow:
        s = uow.session
        waiting = OutboxMessage.published_at.is_(None)
        unpublished, oldest = s.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(waiting)
        ).one()
        by_state = dict(
            s.execute(
                select(EventDelivery.state, func.count())
                .where(
                    EventDelivery.state.in_((DeliveryState.PENDING, DeliveryState.DEAD)),
                    (EventDelivery.state == DeliveryState.DEAD) | (EventDelivery.attempts > 0),
                )
                .group_by(EventDelivery.state)
            ).all()
        )
        hooks = s.scalar(select(func.count()).where(EventWebhook.active.is_(True))) or 0
    age = (clock.now() - oldest).total_seconds() if oldest is not None else None
    dead = int(by_state.get(DeliveryState.DEAD, 0))
    return RelayStatus(
        unpublished=int(unpublished or 0),
        oldest_unpublished_at=oldest,
        oldest_age_seconds=age,
        retrying=int(by_state.get(DeliveryState.PENDING, 0)),
        dead=dead,
        active_webhooks=int(hooks),
        stale_after_minutes=stale_after_minutes,
        needs_attention=dead > 0 or (age is not None and age > stale_after_minutes * 60),
    )
