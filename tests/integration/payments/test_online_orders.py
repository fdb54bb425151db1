"""PAY-3 daily online limits (personal 5,000 / enterprise 50,000 yuan per Beijing business
day, paid + pending orders), refusals recorded and audited; the risk engine's step-up
(an SMS code before the order reaches the channel) and suspension (PAY-4, PAY-5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from safegrid.customers.models import Account, CustomerKind
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.payments.online.orders import RiskRefusedError, do_confirm_step_up, portal_actor
from safegrid.payments.online.portal import mask_name
from safegrid.platform import clock
from safegrid.platform.errors import PermissionDeniedError, ValidationProblem
from safegrid.security.models import AuditEntry
from tests.fixtures.bills import Bills
from tests.fixtures.online import Online

# 10:00 in Beijing on a Monday.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def fixed() -> clock.FixedClock:
    c = clock.FixedClock(T0)
    clock.set_clock(c)
    return c


def _number(bills: Bills, kind: CustomerKind = CustomerKind.RESIDENT) -> str:
    w = bills.world
    if kind == CustomerKind.RESIDENT:
        account_id = bills.account("stationA")
    else:
        customer = w.customer("stationA", kind=kind, credit_code="91350100M000100Y43")
        w.meter(customer, w.reading_area("stationA"))
        with w.platform.uow(w.system(), readonly=True) as uow:
            account_id = uow.session.scalars(
                select(Account.id).where(Account.customer_id == customer)
            ).one()
    with w.platform.uow(w.system(), readonly=True) as uow:
        number = uow.session.scalar(select(Account.number).where(Account.id == account_id))
    assert number
    return number


def _orders(online: Online) -> list[tuple[str, Decimal, str | None]]:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        rows = uow.session.scalars(select(PaymentOrder).order_by(PaymentOrder.id)).all()
        return [(r.status.value, r.amount, r.reject_reason) for r in rows]


def test_pay_3_personal_account_limit_5000_a_day_counts_paid_and_pending(
    online: Online, bills: Bills, fixed: clock.FixedClock
) -> None:
    number = _number(bills)
    first = online.order(number, "3000.00", device="a1")
    online.gateway.pay(first.order_no)
    assert online.deliver() == 1
    online.order(number, "1500.00", device="a2")  # pending, not paid yet: still counts
    with pytest.raises(ValidationProblem) as refused:
        online.order(number, "500.01", device="a3")
    assert refused.value.field == "amount"
    assert "5000" in refused.value.message and "4500" in refused.value.message
    online.order(number, "500.00", device="a4")  # exactly up to the limit is fine
    assert [s for s, _, _ in _orders(online)] == ["paid", "created", "rejected", "created"]
    assert _orders(online)[2][2] == "daily_limit"
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        actions = uow.session.scalars(select(AuditEntry.action)).all()
    assert "payment.order_rejected" in actions


def test_pay_3_enterprise_limit_is_50000(
    online: Online, bills: Bills, fixed: clock.FixedClock
) -> None:
    number = _number(bills, CustomerKind.ENTERPRISE)
    online.order(number, "30000.00", device="e1")
    online.order(number, "20000.00", device="e2")
    with pytest.raises(ValidationProblem):
        online.order(number, "0.01", device="e3")


def test_pay_3_new_beijing_day_and_expired_orders_free_the_limit(
    online: Online, bills: Bills, fixed: clock.FixedClock
) -> None:
    number = _number(bills)
    online.order(number, "5000.00", device="b1")
    with pytest.raises(ValidationProblem):
        online.order(number, "1.00", device="b2")
    # 45 minutes later the unpaid order has expired: it no longer holds the limit.
    fixed.advance(timedelta(minutes=45))
    online.order(number, "4000.00", device="b3")
    online.gateway.pay(_orders_no(online)[-1])
    assert online.deliver() == 1
    # 23:59 Beijing is still the same business day; 00:00 is the next.
    fixed.advance(timedelta(hours=13, minutes=14))  # 10:45 → 23:59
    assert clock.business_day().day == 2
    with pytest.raises(ValidationProblem):
        online.order(number, "1001.00", device="b4")
    fixed.advance(timedelta(minutes=1))
    assert clock.business_day().day == 3
    online.order(number, "5000.00", device="b5")


def _orders_no(online: Online) -> list[str]:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        return list(uow.session.scalars(select(PaymentOrder.order_no).order_by(PaymentOrder.id)))


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.001"])
def test_pay_3_negative_or_bad_amounts_refused_and_logged(
    online: Online, bills: Bills, amount: str
) -> None:
    number = _number(bills)
    with pytest.raises(ValidationProblem) as refused:
        online.order(number, amount, device="n1")
    assert refused.value.field == "amount"
    assert _orders(online) == []
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        assert "payment.order_refused" in uow.session.scalars(select(AuditEntry.action)).all()


def test_pay_4_device_velocity_asks_for_sms_code_before_the_channel(
    online: Online, bills: Bills, fixed: clock.FixedClock
) -> None:
    number = _number(bills)
    for _ in range(3):
        assert online.order(number, "10.00", device="same-phone").status == "pay"
    fourth = online.order(number, "10.00", device="same-phone")
    assert fourth.status == "step_up" and fourth.pay_url is None and fourth.challenge_id
    assert online.gateway.store.order(fourth.order_no) is None, "not sent to the channel yet"
    with pytest.raises(ValidationProblem) as wrong:
        do_confirm_step_up(
            online.platform.uow(portal_actor("10.1.0.1")),
            fourth.order_no,
            fourth.challenge_id,
            "000000" if online.last_sms_code() != "000000" else "111111",
            return_url="http://testserver/r",
            channel=online.channel,
        )
    assert wrong.value.field == "code"
    passed = do_confirm_step_up(
        online.platform.uow(portal_actor("10.1.0.1")),
        fourth.order_no,
        fourth.challenge_id,
        online.last_sms_code(),
        return_url="http://testserver/r",
        channel=online.channel,
    )
    assert passed.status == "pay" and passed.pay_url
    gateway_order = online.gateway.store.order(fourth.order_no)
    assert gateway_order is not None and gateway_order.amount_fen == 1000


def test_pay_5_suspended_account_cannot_start_online_payments(
    online: Online, bills: Bills, fixed: clock.FixedClock
) -> None:
    number = _number(bills)
    # Several 0.01-yuan test payments: the risk engine opens a case and suspends online
    # functions 48 h (on the payment that completes the pattern, or on the next request).
    refused = False
    for i in range(5):
        try:
            placed = online.order(number, "0.01", device=f"t{i}", ip=f"10.2.0.{i}")
        except RiskRefusedError:
            refused = True
            break
        online.gateway.pay(placed.order_no)
        assert online.deliver() == 1
    assert refused or i == 4
    with pytest.raises(PermissionDeniedError):
        online.order(number, "50.00", device="t9", ip="10.2.0.9")
    assert _orders(online)[-1][0] == OrderStatus.REJECTED.value
    assert _orders(online)[-1][2] == "suspended"


def test_portal_masks_customer_names() -> None:
    assert mask_name("方志远", CustomerKind.RESIDENT) == "方**"
    assert mask_name("杭州富春纺织有限公司", CustomerKind.ENTERPRISE) == "杭州******公司"
