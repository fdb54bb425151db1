"""The outbox relay (ADR 0016): events emitted by real services reach each subscriber
exactly once, a failing subscriber loses nothing (retried with backoff, then dead and
re-queued), concurrent relays never deliver an event twice, and only old published
events are purged."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.customers.events import CustomerRegistered
from safegrid.platform import clock, events, jobs
from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.platform.job_runs import RunStatus
from safegrid.platform.outbox import OutboxMessage
from safegrid.relay import relay, services
from safegrid.relay.models import DeliveryState, EventDelivery
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.world import World
from tests.integration.platform.relay_support import Recorder, RelayProbed, emit_probes

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    events.subscribe(["Customer*", RelayProbed], rec, name="test.relay.recorder")
    yield rec
    events.unsubscribe("test.relay.recorder")


def _deliveries(platform: Platform) -> list[EventDelivery]:
    with platform.uow(Actor.system("tests", "job"), readonly=True) as uow:
        rows = uow.session.scalars(select(EventDelivery).order_by(EventDelivery.id)).all()
        for r in rows:
            uow.session.expunge(r)
        return list(rows)


def _unpublished(platform: Platform) -> int:
    with platform.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.published_at.is_(None))
            ).scalar_one()
        )


def test_hall_8_events_of_a_real_service_reach_a_subscriber_exactly_once(
    world: World, recorder: Recorder
) -> None:
    ids = [world.customer("stationA") for _ in range(3)]
    assert recorder.records == []  # nothing leaves before the relay runs
    report = relay.drain(world.platform)
    relay.drain(world.platform)  # a second run finds nothing to deliver
    got = [r.event() for r in recorder.records]
    assert [e.customer_id for e in got if isinstance(e, CustomerRegistered)] == ids
    assert len(recorder.ids) == len(set(recorder.ids)) == 3
    assert report.delivered == 3 and report.published == 3
    assert _unpublished(world.platform) == 0
    assert {d.state for d in _deliveries(world.platform)} == {DeliveryState.DELIVERED}
    # The relay's own bookkeeping is audited as the system.
    with world.platform.uow(world.system(), readonly=True) as uow:
        actions = set(
            uow.session.scalars(
                select(AuditEntry.action).where(AuditEntry.actor_name == "system:events.relay")
            )
        )
    assert actions == {"events.relay_claimed", "events.relayed"}


def test_hall_8_an_event_nobody_wants_is_published_without_deliveries(world: World) -> None:
    emit_probes(world.platform, 5)
    report = relay.drain(world.platform)
    assert report.published == 5 and report.delivered == 0
    assert _unpublished(world.platform) == 0
    assert _deliveries(world.platform) == []


def test_hall_8_a_failing_subscriber_loses_nothing_retried_then_dead_then_requeued(
    world: World, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set_clock(at := clock.FixedClock(T0))
    monkeypatch.setattr(platform.settings, "events_max_attempts", 3)
    monkeypatch.setattr(platform.settings, "events_retry_base_seconds", 30.0)
    poison = 2
    rec = Recorder(fail=lambda rs: any(r.payload.get("n") == poison for r in rs))
    events.subscribe(RelayProbed, rec, name="test.relay.flaky")
    try:
        emit_probes(platform, 4)
        first = relay.drain(platform)
        # The first attempt is one batch: it fails as a whole, nothing is lost.
        assert rec.calls == [4] and rec.records == []
        assert first.retrying == 4 and _unpublished(platform) == 4
        assert {(d.attempts, d.next_attempt_at) for d in _deliveries(platform)} == {
            (1, T0 + timedelta(seconds=30))
        }
        assert relay.drain(platform).idle  # not due before its backoff
        at.advance(timedelta(seconds=30))
        relay.drain(platform)
        # Retried one by one: the three good events get through, the bad one backs off.
        assert rec.calls == [4, 1, 1, 1, 1]
        assert sorted(r.payload["n"] for r in rec.records) == [0, 1, 3]
        assert _unpublished(platform) == 1
        (bad,) = [d for d in _deliveries(platform) if d.state == DeliveryState.PENDING]
        assert bad.attempts == 2 and bad.next_attempt_at == at.now() + timedelta(seconds=60)
        assert bad.last_error == "RuntimeError: subscriber is down"
        at.advance(timedelta(seconds=60))
        assert relay.drain(platform).dead == 1
        status = services.status(platform.uow(world.system(), readonly=True), 15)
        assert status.dead == 1 and status.unpublished == 1 and status.needs_attention
        (dead,) = services.list_deliveries(platform.uow(world.system(), readonly=True))
        assert dead.id == bad.id and dead.attempts == 3 and dead.topic == "RelayProbed"

        # A person fixes the cause and re-queues it (audited); then it is delivered.
        rec.fail = None
        admin = world.actor(world.staff(Post.SYSTEM_ADMIN, "countyA"))
        with pytest.raises(NotFoundError):
            services.do_requeue(platform.uow(admin), [bad.id, 987654])
        delivered = [d.id for d in _deliveries(platform) if d.state == DeliveryState.DELIVERED]
        with pytest.raises(ConflictError):
            services.do_requeue(platform.uow(admin), [bad.id, delivered[0]])
        assert services.do_requeue(platform.uow(admin), [bad.id]).requeued == 1
        relay.drain(platform)
        assert sorted(r.payload["n"] for r in rec.records) == [0, 1, 2, 3]
        assert _unpublished(platform) == 0
        with platform.uow(world.system(), readonly=True) as uow:
            entry = uow.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "events.deliveries_requeued")
            ).one()
        assert entry.actor_name == admin.username
    finally:
        events.unsubscribe("test.relay.flaky")


def test_hall_8_two_relays_at_once_never_deliver_an_event_twice(
    world: World, recorder: Recorder
) -> None:
    """On PostgreSQL the relays claim with SKIP LOCKED; on SQLite the claims serialise."""
    total = 1200
    for start in range(0, total, 400):
        emit_probes(world.platform, 400, start)
    errors: list[BaseException] = []
    go = threading.Barrier(4)

    def run() -> None:
        try:
            go.wait()
            relay.drain(world.platform, batch=50)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert len(recorder.ids) == total
    assert len(set(recorder.ids)) == total, "an event was delivered twice"
    assert sorted(r.payload["n"] for r in recorder.records) == list(range(total))
    assert _unpublished(world.platform) == 0
    assert {(d.state, d.attempts) for d in _deliveries(world.platform)} == {
        (DeliveryState.DELIVERED, 1)
    }


def test_hall_8_purge_removes_only_published_events_past_the_retention(
    world: World, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.settings, "events_retention_days", 30)
    clock.set_clock(at := clock.FixedClock(T0))
    stuck = Recorder(fail=lambda rs: True)
    events.subscribe("CustomerRegistered", stuck, name="test.relay.stuck")
    try:
        emit_probes(platform, 2)  # nobody wants these: published at T0
        world.customer("stationA")  # wanted by a subscriber that keeps failing
        relay.drain(platform)
        at.advance(timedelta(days=29))
        emit_probes(platform, 1, start=10)  # published at T0 + 29 days
        relay.drain(platform)
        at.advance(timedelta(days=2))
        run = jobs.run_job(platform, "events.purge", trigger="cli", by="tests")
        assert run.status == RunStatus.SUCCEEDED, run.error
        assert run.summary == "purged=2, retention_days=30"
    finally:
        events.unsubscribe("test.relay.stuck")
    with platform.uow(world.system(), readonly=True) as uow:
        left = uow.session.execute(
            select(OutboxMessage.topic, OutboxMessage.published_at).order_by(OutboxMessage.id)
        ).all()
        kept_deliveries = uow.session.scalar(select(func.count()).select_from(EventDelivery))
        purged = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "events.purged")
        ).one()
    assert [(t, p is None) for t, p in left] == [
        ("CustomerRegistered", True),  # old but never published: kept
        ("RelayProbed", False),  # published 2 days ago: kept
    ]
    assert kept_deliveries == 1
    assert purged.actor_name == "system:events.purge"


def test_hall_8_status_asks_for_a_person_when_an_event_waits_too_long(
    world: World, platform: Platform
) -> None:
    clock.set_clock(at := clock.FixedClock(T0))
    down = Recorder(fail=lambda rs: True)
    events.subscribe(RelayProbed, down, name="test.relay.down")
    try:
        emit_probes(platform, 1)
        relay.drain(platform)
    finally:
        events.unsubscribe("test.relay.down")
    at.advance(timedelta(minutes=14))
    status = services.status(platform.uow(world.system(), readonly=True), 15)
    assert (status.unpublished, status.retrying, status.dead) == (1, 1, 0)
    assert status.oldest_unpublished_at == T0 and not status.needs_attention
    at.advance(timedelta(minutes=2))
    status = services.status(platform.uow(world.system(), readonly=True), 15)
    assert status.needs_attention and status.oldest_age_seconds == 16 * 60


def test_hall_8_relay_and_purge_are_scheduled_jobs() -> None:
    registered = jobs.load()
    assert registered["events.relay"].schedule == "* * * * *"
    assert registered["events.purge"].schedule == "40 3 * * *"


def test_hall_8_follow_relays_events_as_they_arrive_until_stopped(
    world: World, recorder: Recorder
) -> None:
    stop = threading.Event()
    result: list[relay.RelayReport] = []
    worker = threading.Thread(
        target=lambda: result.append(relay.follow(world.platform, stop, interval=0.05))
    )
    worker.start()
    try:
        emit_probes(world.platform, 3)
        deadline = time.monotonic() + 30
        while len(recorder.records) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert sorted(r.payload["n"] for r in recorder.records) == [0, 1, 2]
    assert result[0].delivered == 3
