"""The hall's outbound data interface (HALL-7): outside systems (e.g. the marketing
emergency command centre) read the event store through the feed, each with its own
credential and its own scope (an org subtree: a city's centre sees its city's halls).

- Pull: ``GET /api/hall/feed?after=<cursor>`` with ``Authorization: Bearer <token>``
  returns events after the cursor in id order; the caller keeps its cursor.
- Push: a subscriber with a ``webhook_url`` gets the same pages POSTed, signed like the
  relay's webhooks (``X-SafeGrid-Signature: v1=HMAC-SHA256(secret, "<ts>." + body)``,
  ``safegrid.relay.signing``). The push is driven by the outbox relay: every stored hall
  event is an outbox event (``HallEventRecorded``) delivered to the ``hall.feed``
  subscriber below, which pushes each subscriber's pages from its own cursor
  (``pushed_through``). A failing endpoint makes the handler raise, so the relay retries
  with its backoff; subscribers already pushed are not sent the events again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Sequence
from typing import Final

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from safegrid.bootstrap import Platform, get_platform
from safegrid.hall.events import HallEventRecorded
from safegrid.hall.models import FeedSubscriber, HallEvent
from safegrid.hall.schemas import (
    FeedPage,
    FeedSubscriberCreate,
    FeedSubscriberCreated,
    HallEventOut,
)
from safegrid.org.models import OrgUnit
from safegrid.platform import clock, events
from safegrid.platform.errors import AuthenticationError, ConflictError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.relay import signing
from safegrid.security.actor import Actor
from safegrid.security.scope import Scope, unscoped

log = logging.getLogger(__name__)

PAGE: Final = 500
REFUSED_CREDENTIAL = "订阅凭证无效 / bad or revoked feed credential"
SUBSCRIBER_HEADER: Final = "X-SafeGrid-Feed-Subscriber"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_create_subscriber(uow: UnitOfWork, data: FeedSubscriberCreate) -> FeedSubscriberCreated:
    """A subscriber scoped to an org unit of the caller's own scope; its token and signing
    secret are generated here and shown only now."""
    token, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with uow:
        unit = uow.session.scalars(select(OrgUnit).where(OrgUnit.id == data.org_unit_id)).first()
        if unit is None:
            raise ValidationProblem("单位不存在 / unknown org unit", field="org_unit_id")
        sub = FeedSubscriber(
            org_unit_id=unit.id,
            name=data.name,
            token_digest=_digest(token),
            signing_secret=secret,
            webhook_url=data.webhook_url,
            pushed_through=0,
            active=True,
            created_at=clock.now(),
            created_by=uow.actor.username,
        )
        uow.session.add(sub)
        try:
            uow.session.flush()
        except IntegrityError:
            raise ConflictError(
                f"订阅名称已存在 / a subscriber named {data.name!r} exists", field="name"
            ) from None
        uow.audit(
            "hall.feed_subscriber_create",
            object_type="hall_feed_subscriber",
            object_id=sub.id,
            org_unit_id=unit.id,
            after={"name": sub.name, "org_unit_id": unit.id, "webhook_url": sub.webhook_url},
        )
        uow.commit()
        return FeedSubscriberCreated(
            id=sub.id, name=sub.name, org_unit_id=unit.id, token=token, signing_secret=secret
        )


def subscriber_actor(uow_factory: UnitOfWork, token: str) -> Actor:
    """The subscriber a bearer token belongs to, as an actor scoped to its subtree."""
    with uow_factory as uow:
        row = uow.session.execute(
            select(FeedSubscriber.name, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == FeedSubscriber.org_unit_id)
            .where(FeedSubscriber.token_digest == _digest(token), FeedSubscriber.active)
            .execution_options(**unscoped("a feed credential is looked up before any scope"))
        ).first()
    if row is None:
        log.warning("hall feed: refused credential")
        raise AuthenticationError(REFUSED_CREDENTIAL)
    return _actor(row.name, row.path)


def _actor(name: str, path: str) -> Actor:
    return Actor(
        account_id=None,
        username=f"feed:{name}"[:64],
        real_name=name,
        post=None,
        org_unit_id=None,
        permissions=frozenset(),
        scope=Scope.subtree(path),
        channel="api",
    )


def page(uow: UnitOfWork, after: int, limit: int = PAGE) -> FeedPage:
    """Events after ``after`` in the caller's scope, oldest first."""
    with uow:
        rows = uow.session.scalars(
            select(HallEvent).where(HallEvent.id > after).order_by(HallEvent.id).limit(limit + 1)
        ).all()
        out = [HallEventOut.model_validate(e) for e in rows[:limit]]
        return FeedPage(events=out, cursor=out[-1].id if out else after, more=len(rows) > limit)


def trace(
    uow: UnitOfWork, *, ticket_id: int | None = None, customer_id: int | None = None
) -> list[HallEventOut]:
    """Every stored fact of one ticket or one customer, in order (HALL-8)."""
    with uow:
        where = (
            HallEvent.ticket_id == ticket_id
            if ticket_id is not None
            else HallEvent.customer_id == customer_id
        )
        rows = uow.session.scalars(select(HallEvent).where(where).order_by(HallEvent.id)).all()
        return [HallEventOut.model_validate(e) for e in rows]


def body_of(feed: FeedPage) -> bytes:
    return json.dumps(
        feed.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()


def sign(secret: str, body: bytes, timestamp: str) -> str:
    return signing.signature(secret, timestamp, body)


def push(records: Sequence[events.EventRecord]) -> None:
    """The ``hall.feed`` relay subscriber: push each webhook subscriber's new events."""
    del records  # a wake-up: what to push is each subscriber's cursor onwards
    platform = get_platform()
    system = Actor.system("hall.feed", "job")
    with platform.uow(system, readonly=True) as uow:
        subs = [
            (s.id, s.name, s.webhook_url, s.signing_secret, s.pushed_through, path)
            for s, path in uow.session.execute(
                select(FeedSubscriber, OrgUnit.path)
                .join(OrgUnit, OrgUnit.id == FeedSubscriber.org_unit_id)
                .where(FeedSubscriber.active, FeedSubscriber.webhook_url.is_not(None))
            )
        ]
    failures = []
    with httpx.Client(timeout=platform.settings.events_webhook_timeout_seconds) as client:
        for sub_id, name, url, secret, cursor, path in subs:
            try:
                _push_one(platform, client, sub_id, name, str(url), secret, cursor, path)
            except (httpx.HTTPError, RuntimeError) as exc:
                log.warning("hall feed push to %s failed: %s", name, exc)
                failures.append(f"{name}: {exc}")
    if failures:
        raise RuntimeError("; ".join(failures)[:400])


def _push_one(
    platform: Platform,
    client: httpx.Client,
    sub_id: int,
    name: str,
    url: str,
    secret: str,
    cursor: int,
    path: str,
) -> None:
    while True:
        feed = page(platform.uow(_actor(name, path), readonly=True), cursor)
        if not feed.events:
            return
        body = body_of(feed)
        timestamp = str(int(clock.now().timestamp()))
        response = client.post(
            url,
            content=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                SUBSCRIBER_HEADER: name,
                signing.TIMESTAMP: timestamp,
                signing.SIGNATURE: sign(secret, body, timestamp),
            },
        )
        if not response.is_success:
            raise RuntimeError(f"HTTP {response.status_code}")
        with platform.uow(Actor.system("hall.feed", "job")) as uow:
            uow.session.execute(
                update(FeedSubscriber)
                .where(FeedSubscriber.id == sub_id, FeedSubscriber.pushed_through == cursor)
                .values(pushed_through=feed.cursor)
            )
            uow.audit(
                "hall.feed_pushed",
                object_type="hall_feed_subscriber",
                object_id=sub_id,
                after={"from": cursor, "through": feed.cursor, "events": len(feed.events)},
            )
            uow.commit()
        cursor = feed.cursor
        if not feed.more:
            return


events.subscribe(HallEventRecorded, push, name="hall.feed")
