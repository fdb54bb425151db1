"""Step-up verification (PAY-4): an SMS code to the account holder's phone through the
outbox, hashed at rest, valid 5 minutes for 5 tries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from safegrid.notifications.models import Notification
from safegrid.payments.risk import engine, step_up
from safegrid.payments.risk.engine import RiskRequest
from safegrid.payments.risk.models import RiskChallenge
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.security.actor import Actor
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
PORTAL = Actor.system("portal", "api")


def _step_up_decision(world: World, account_id: int) -> int:
    decision = None
    for _ in range(4):
        with world.platform.uow(PORTAL) as uow:
            decision = engine.evaluate(
                uow, RiskRequest("payment", account_id, Decimal(10), "phone-x", None, clock.now())
            )
            uow.audit("test.order", object_type="account", object_id=account_id)
            uow.commit()
    assert decision is not None and decision.action == "step_up"
    return decision.id


def _issue(world: World, decision_id: int) -> tuple[str, str]:
    with world.platform.uow(PORTAL) as uow:
        token = step_up.issue(uow, decision_id)
        uow.commit()
    with world.platform.uow(PORTAL, readonly=True) as uow:
        sms = uow.session.scalars(
            select(Notification).where(Notification.topic == "payments.step_up")
            .order_by(Notification.id.desc())
        ).first()  # fmt: skip
        assert sms is not None
        match = re.search(r"\d{6}", sms.body)
        assert match is not None
        challenge = uow.session.scalars(select(RiskChallenge)).first()
        assert challenge is not None and match.group(0) not in challenge.code_hash
        return token, match.group(0)


def _verify(world: World, token: str, code: str) -> bool:
    with world.platform.uow(PORTAL) as uow:
        ok = step_up.verify(uow, token, code)
        uow.commit()
        return ok


@pytest.fixture
def fixed() -> clock.FixedClock:
    c = clock.FixedClock(T0)
    clock.set_clock(c)
    return c


def test_pay_4_step_up_sms_goes_to_the_holders_phone_and_verifies(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    acc = bills.account()
    token, code = _issue(world, _step_up_decision(world, acc))
    with world.platform.uow(PORTAL, readonly=True) as uow:
        sms = uow.session.scalars(
            select(Notification).where(Notification.topic == "payments.step_up")
        ).one()
        assert sms.recipient.startswith("138")  # the customer's mobile, decrypted by the ORM
    assert _verify(world, token, "000000" if code != "000000" else "111111") is False
    assert _verify(world, token, code) is True
    with pytest.raises(ValidationProblem):  # used once
        _verify(world, token, code)


def test_pay_4_step_up_five_tries_then_refused_and_expires(
    world: World, bills: Bills, fixed: clock.FixedClock
) -> None:
    decision_id = _step_up_decision(world, bills.account())
    token, code = _issue(world, decision_id)
    wrong = "000000" if code != "000000" else "111111"
    assert [_verify(world, token, wrong) for _ in range(5)] == [False] * 5
    with pytest.raises(ValidationProblem) as err:
        _verify(world, token, code)
    assert err.value.field == "code"
    token2, code2 = _issue(world, decision_id)
    fixed.advance(timedelta(minutes=5, seconds=1))
    with pytest.raises(ValidationProblem):
        _verify(world, token2, code2)


def test_pay_4_step_up_only_for_a_step_up_decision(world: World, bills: Bills) -> None:
    acc = bills.account()
    with world.platform.uow(PORTAL) as uow:
        d = engine.evaluate(uow, RiskRequest("payment", acc, Decimal(5), None, None, clock.now()))
        uow.audit("test.order", object_type="account", object_id=acc)
        uow.commit()
    with world.platform.uow(PORTAL) as uow, pytest.raises(ConflictError):
        step_up.issue(uow, d.id)
