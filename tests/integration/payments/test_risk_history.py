"""PAY-4/PAY-5 hot history (ADR 0011): this process's committed events count without a query,
rolled-back ones never count, a unit of work's own events count for its later decisions,
and another process's events are seen within the staleness bound (an injected timer)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, text

from safegrid.bootstrap import Platform
from safegrid.payments.risk import engine, history, paid_batch, rules
from safegrid.payments.risk.engine import RiskRequest
from safegrid.platform import clock
from safegrid.security.actor import Actor
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
PORTAL = Actor.system("portal", "api")
STALENESS = 0.05


class Timer:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def timer(platform: Platform) -> Iterator[Timer]:
    clock.set_clock(clock.FixedClock(T0))
    t = Timer()
    previous = history.configure(staleness=STALENESS, timer=t)
    history.forget(platform.engine)
    try:
        yield t
    finally:
        history.restore(previous)


def _req(acc: int, device: str = "dev-h", amount: str = "100.00") -> RiskRequest:
    return RiskRequest("payment", acc, Decimal(amount), device, None, clock.now())


def _evaluate(platform: Platform, acc: int, device: str = "dev-h") -> str:
    with platform.uow(PORTAL) as uow:
        decision = engine.evaluate(uow, _req(acc, device))
        uow.audit("test.order", object_type="account", object_id=acc)
        uow.commit()
        return decision.action


class Statements:
    """Every SQL statement an engine runs while counting."""

    def __init__(self, platform: Platform) -> None:
        self.engine = platform.engine
        self.seen: list[str] = []
        self.on = False

    def _record(self, _conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        if self.on:
            self.seen.append(statement)

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def test_pay_4_own_committed_events_count_without_a_query(
    world: World, bills: Bills, timer: Timer
) -> None:
    acc = bills.account()
    actions, queries = [], []
    with Statements(world.platform) as sql:
        for _ in range(4):
            with world.platform.uow(PORTAL) as uow:
                sql.on, sql.seen = True, []
                prepared = engine.prepare(uow, _req(acc))
                sql.on = False
                queries.append(len(sql.seen))
                decision = engine.record(uow, prepared)
                uow.audit("test.order", object_type="account", object_id=acc)
                uow.commit()
                actions.append(decision.action)
    assert actions == ["allow", "allow", "allow", "step_up"]
    # The first decision loads the history; the next three run no query at all.
    assert queries[0] > 0 and queries[1:] == [0, 0, 0]
    with Statements(world.platform) as sql, world.platform.uow(PORTAL) as uow:
        sql.on = True
        assert engine.prepare(uow, _req(acc)).outcome.action == "step_up"
        assert sql.seen == []


def test_pay_4_rolled_back_events_are_never_counted(
    world: World, bills: Bills, timer: Timer
) -> None:
    acc = bills.account()
    assert _evaluate(world.platform, acc) == "allow"
    # Closed without commit, rolled back explicitly, rolled back to a savepoint.
    with world.platform.uow(PORTAL) as uow:
        engine.evaluate(uow, _req(acc))
    with world.platform.uow(PORTAL) as uow:
        engine.evaluate(uow, _req(acc))
        uow.session.rollback()
    with world.platform.uow(PORTAL) as uow:
        try:
            with uow.session.begin_nested():
                engine.evaluate(uow, _req(acc))
                paid_batch.note_paid(uow, acc, Decimal("0.01"), clock.now(), 501)
                raise RuntimeError("the callback failed")
        except RuntimeError:
            pass
        # Inside the same unit of work the rolled-back savepoint no longer counts either.
        assert engine.evaluate(uow, _req(acc)).action == "allow"  # the 2nd counted
        uow.audit("test.order", object_type="account", object_id=acc)
        uow.commit()
    timer.now += 10 * STALENESS  # a tail would not find them either
    assert _evaluate(world.platform, acc) == "allow"  # the 3rd
    assert _evaluate(world.platform, acc) == "step_up"


def test_pay_4_a_unit_of_works_own_events_count_for_its_next_decisions(
    world: World, bills: Bills, timer: Timer
) -> None:
    acc = bills.account()
    with world.platform.uow(PORTAL) as uow:
        actions = [engine.evaluate(uow, _req(acc)).action for _ in range(4)]
        for pid in (601, 602):
            paid_batch.note_paid(uow, acc, Decimal("0.01"), clock.now(), pid)
        third = paid_batch.note_paid(uow, acc, Decimal("0.01"), clock.now(), 603)
        # rolled back
    assert actions == ["allow", "allow", "allow", "step_up"]
    assert third is not None and third.action == "review"
    # None of it was committed: a fresh unit of work starts from nothing.
    assert _evaluate(world.platform, acc) == "allow"
    with world.platform.uow(PORTAL, readonly=True) as uow:
        assert engine.suspended_until(uow, acc) is None


def test_pay_4_another_process_is_seen_within_the_staleness_bound(
    world: World, bills: Bills, timer: Timer
) -> None:
    """Two engines on one database stand for two processes."""
    second = Platform(world.platform.settings)
    try:
        acc = bills.account()
        assert _evaluate(world.platform, acc) == "allow"  # loads and tails at t
        for _ in range(2):
            assert _evaluate(second, acc) == "allow"  # 1 seen (at load) + its own: 2, 3
        # Within the bound the first process has not looked yet: it counts 2 where the
        # table holds 4, a stale "allow" (the documented bound, ADR 0011).
        timer.now += STALENESS / 2
        assert _evaluate(world.platform, acc) == "allow"
        timer.now += STALENESS
        assert _evaluate(world.platform, acc) == "step_up"  # 5 in the window now
        # ...and the second sees the first's events after the bound as well.
        timer.now += STALENESS
        assert _evaluate(second, acc, device="other") == "allow"
        with second.uow(PORTAL, readonly=True) as uow:
            assert engine.suspended_until(uow, acc) is None
    finally:
        second.dispose()


def test_pay_4_staleness_zero_tails_before_every_decision(
    world: World, bills: Bills, timer: Timer
) -> None:
    history.configure(staleness=0)
    second = Platform(world.platform.settings)
    try:
        acc = bills.account()
        _evaluate(world.platform, acc)
        _evaluate(second, acc)
        _evaluate(world.platform, acc)
        assert _evaluate(second, acc) == "step_up"  # no timer advanced
    finally:
        second.dispose()


def test_pay_4_a_table_emptied_elsewhere_is_noticed_at_the_next_tail(
    world: World, bills: Bills, timer: Timer
) -> None:
    """A restore by another process (its engine is not watched by this one)."""
    acc = bills.account()
    for _ in range(3):
        _evaluate(world.platform, acc)
    second = Platform(world.platform.settings)
    try:
        with second.engine.begin() as conn:
            conn.execute(text("DELETE FROM risk_events"))
    finally:
        second.dispose()
    timer.now += 2 * STALENESS
    assert _evaluate(world.platform, acc) == "allow"  # counts from the table: 1, not 4


def test_pay_4_a_rule_change_keeps_the_windows_and_reads_only_what_a_wider_one_adds(
    world: World, bills: Bills, timer: Timer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule change used to rebuild every window under the lock (~5.6 s of decisions
    blocked): now the windows stay, and a longer window reads only the range it adds."""
    fixed = clock.FixedClock(T0 - timedelta(hours=36))
    clock.set_clock(fixed)
    acc = bills.account()
    for _ in range(2):  # older than every default window (one day at most)
        assert _evaluate(world.platform, acc, "dev-old") == "allow"
    fixed.advance(timedelta(hours=36))
    history.forget(world.platform.engine)
    for _ in range(2):
        assert _evaluate(world.platform, acc) == "allow"
    loads: list[datetime] = []
    real_load = history.HotHistory.load

    def counted(self: history.HotHistory, *args: Any, **kwargs: Any) -> None:
        loads.append(clock.now())
        real_load(self, *args, **kwargs)

    monkeypatch.setattr(history.HotHistory, "load", counted)
    device, *others = rules.DEFAULT_RULES.rules
    stricter = dataclasses.replace(device, threshold=2)
    rules.do_save_rules(world.platform.uow(world.system()), [stricter, *others], note="stricter")
    timer.now += 2 * STALENESS
    # The new threshold counts the two earlier requests (3 > 2) without a reload.
    assert _evaluate(world.platform, acc) == "step_up"
    assert loads == []
    wider = dataclasses.replace(stricter, window_minutes=2 * rules.DAY)
    rules.do_save_rules(world.platform.uow(world.system()), [wider, *others], note="two days")
    timer.now += 2 * STALENESS
    with Statements(world.platform) as seen:
        seen.on = True
        # The 36-hour-old requests are read now (the range the window adds): 2 + 1 > 2.
        assert _evaluate(world.platform, acc, "dev-old") == "step_up"
    assert loads == []
    ranged = [s for s in seen.seen if "risk_events.at <" in s]
    assert len(ranged) == 1
    # Counted once each: a narrower window again, then one more request on the device.
    rules.do_save_rules(world.platform.uow(world.system()), [stricter, *others], note="back")
    timer.now += 2 * STALENESS
    assert _evaluate(world.platform, acc, "dev-new") == "allow"
    assert loads == []
