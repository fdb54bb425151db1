"""Risk engine (PAY-4, PAY-5): velocity → step-up / freeze, test payments and
pay-then-refund → a case and 48 h suspension, decisions persisted with their inputs, rules
changed as data, and the same counts from the database in a fresh process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from safegrid.alerts.models import Alert
from safegrid.bootstrap import Platform
from safegrid.payments.risk import engine, history, paid_batch, rules
from safegrid.payments.risk.engine import RiskRequest
from safegrid.payments.risk.models import (
    CaseStatus,
    EventKind,
    RiskCase,
    RiskEvent,
    RuleAction,
    RuleKind,
)
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.security.actor import Actor
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
PORTAL = Actor.system("portal", "api")


@pytest.fixture
def fixed() -> clock.FixedClock:
    c = clock.FixedClock(T0)
    clock.set_clock(c)
    return c


def _evaluate(
    platform: Platform,
    account_id: int,
    *,
    kind: str = "payment",
    amount: str = "100.00",
    device: str | None = "dev-1",
    ip: str | None = "10.0.0.1",
) -> engine.RiskDecision:
    with platform.uow(PORTAL) as uow:
        req = RiskRequest(kind, account_id, Decimal(amount), device, ip, clock.now())  # type: ignore[arg-type]
        decision = engine.evaluate(uow, req)
        if decision.action == "allow":
            uow.audit("test.order", object_type="account", object_id=account_id)
        uow.commit()
        return decision


def _paid(
    platform: Platform, account_id: int, amount: str, payment_id: int
) -> engine.RiskDecision | None:
    with platform.uow(PORTAL) as uow:
        out = paid_batch.note_paid(uow, account_id, Decimal(amount), clock.now(), payment_id)
        uow.audit("test.paid", object_type="payment", object_id=payment_id)
        uow.commit()
        return out


def test_pay_4_same_device_more_than_3_requests_in_30_min_steps_up(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    accounts = [bills.account() for _ in range(4)]
    actions = []
    for i, acc in enumerate(accounts):  # one device, four accounts, 5 minutes apart
        actions.append(_evaluate(world.platform, acc, ip=f"10.0.0.{i}").action)
        fixed.advance(timedelta(minutes=5))
    assert actions == ["allow", "allow", "allow", "step_up"]
    with world.platform.uow(PORTAL, readonly=True) as uow:
        last = uow.session.scalars(
            select(RiskEvent)
            .where(RiskEvent.kind == EventKind.PAYMENT)
            .order_by(RiskEvent.id.desc())
        ).first()
        assert last is not None and last.action == "step_up"
        (fired,) = last.fired or []
        assert fired["rule_id"] == "PAY4-DEVICE"
        assert fired["inputs"]["device_id"] == "dev-1"
        assert fired["inputs"]["count"] == 4 and fired["inputs"]["threshold"] == 3
    # 31 minutes after the first request only three remain in the window.
    fixed.advance(timedelta(minutes=16))
    assert _evaluate(world.platform, accounts[0], ip="10.9.9.9").action == "allow"


def test_pay_4_same_ip_more_than_10_payments_in_24_h(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    acc = bills.account()
    actions = []
    for i in range(11):
        actions.append(_evaluate(world.platform, acc, device=f"d{i}", ip="36.1.1.1").action)
        fixed.advance(timedelta(hours=2))
    assert actions[:10] == ["allow"] * 10 and actions[10] == "step_up"


def test_pay_4_freeze_is_configurable_and_suspends(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    new = [
        rules.Rule("PAY4-DEVICE", RuleKind.DEVICE_VELOCITY, 3, 30, RuleAction.FREEZE, 60),
        *rules.DEFAULT_RULES.rules[1:],
    ]
    saved = rules.do_save_rules(world.platform.uow(world.system()), new, note="freeze devices")
    assert saved.version == 1
    acc = bills.account()
    for _ in range(3):
        assert _evaluate(world.platform, acc).action == "allow"
    frozen = _evaluate(world.platform, acc)
    assert frozen.action == "freeze" and frozen.suspended_until == T0 + timedelta(minutes=60)
    assert frozen.rule_set_version == 1
    refused = _evaluate(world.platform, acc, device="other", ip="1.2.3.4")
    assert refused.action == "freeze" and refused.fired[0].rule_id == "SUSPENDED"
    fixed.advance(timedelta(minutes=61))
    with world.platform.uow(PORTAL, readonly=True) as uow:
        assert engine.suspended_until(uow, acc) is None


def test_pay_5_three_test_payments_open_a_case_and_suspend_48h(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    world.staff(Post.DEPARTMENT_HEAD, "countyA")  # a manager to alert
    acc = bills.account("stationA")
    assert _paid(world.platform, acc, "0.01", 9001) is None
    fixed.advance(timedelta(minutes=3))
    assert _paid(world.platform, acc, "0.01", 9002) is None
    fixed.advance(timedelta(minutes=3))
    # The third 0.01-yuan request is refused before it reaches the channel.
    decision = _evaluate(world.platform, acc, amount="0.01")
    assert decision.action == "review" and decision.case_id is not None
    assert decision.suspended_until == clock.now() + timedelta(hours=48)
    (fired,) = decision.fired
    assert fired.rule_id == "PAY5-TEST" and fired.inputs["payments"] == [9001, 9002]
    with world.platform.uow(PORTAL, readonly=True) as uow:
        assert engine.suspended_until(uow, acc) == clock.now() + timedelta(hours=48)
        case = uow.session.get(RiskCase, decision.case_id)
        assert case is not None and case.status == CaseStatus.OPEN
        alert = uow.session.scalars(select(Alert).where(Alert.key_field == "risk_case")).one()
        assert alert.object_id == str(case.id)
    # Any payment request is refused while suspended.
    assert _evaluate(world.platform, acc, device="x", ip="9.9.9.9").action == "freeze"
    fixed.advance(timedelta(hours=48, seconds=1))
    assert (
        _evaluate(world.platform, acc, amount="50.00", device="y", ip="8.8.8.8").action != "freeze"
    )


def test_pay_5_note_paid_is_idempotent_and_third_test_payment_opens_case(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    acc = bills.account()
    for pid in (1, 2):
        _paid(world.platform, acc, "0.01", pid)
        _paid(world.platform, acc, "0.01", pid)  # a replayed callback counts once
    decision = _paid(world.platform, acc, "0.01", 3)
    assert decision is not None and decision.action == "review"
    assert decision.fired[0].inputs["count"] == 3


def test_pay_5_refund_right_after_payment_opens_case(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    acc = bills.account()
    other = bills.account()
    _paid(world.platform, acc, "200.00", 77)
    fixed.advance(timedelta(hours=3))
    decision = _evaluate(world.platform, acc, kind="refund", amount="200.00", device=None, ip=None)
    assert decision.action == "review"
    inputs = decision.fired[0].inputs
    assert decision.fired[0].rule_id == "PAY5-REFUND"
    assert inputs["last_payment_id"] == 77 and inputs["window_minutes"] == 24 * 60
    assert decision.suspended_until == clock.now() + timedelta(hours=48)
    # A refund 25 h after the last payment is not "right after" it (default 24 h).
    _paid(world.platform, other, "50.00", 78)
    fixed.advance(timedelta(hours=25))
    assert _evaluate(world.platform, other, kind="refund", amount="50.00").action == "allow"


def test_pay_4_a_fresh_process_counts_from_the_database(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    acc = bills.account()
    for _ in range(3):
        _evaluate(world.platform, acc)
    history.forget(world.platform.engine)  # a restart, or another process
    assert _evaluate(world.platform, acc).action == "step_up"


def test_pay_4_rolled_back_decision_is_not_counted(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    acc = bills.account()
    for _ in range(3):
        with world.platform.uow(PORTAL) as uow:
            engine.evaluate(
                uow, RiskRequest("payment", acc, Decimal(1), "dev-r", None, clock.now())
            )
            # no commit: rolled back
    assert _evaluate(world.platform, acc, device="dev-r").action == "allow"


def test_pay_4_bad_requests_are_refused_by_field(world: World, bills: Bills) -> None:
    acc = bills.account()
    with world.platform.uow(PORTAL) as uow:
        for amount, field in (("-1", "amount"), ("0.001", "amount")):
            with pytest.raises(ValidationProblem) as err:
                engine.evaluate(
                    uow, RiskRequest("payment", acc, Decimal(amount), None, None, clock.now())
                )
            assert err.value.field == field
        with pytest.raises(ValidationProblem) as err:
            engine.evaluate(
                uow, RiskRequest("payment", 999_999, Decimal(1), None, None, clock.now())
            )
        assert err.value.field == "account_id"
