"""PAY-6 / PAY-7 through the real HTTP route: signed callbacks from the sandbox gateway are
verified (signature, order, amount) and captured exactly once; unsigned, wrongly signed,
unknown-order and tampered callbacks are a clear 4xx, logged, and credit nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safegrid.alerts.models import Alert
from safegrid.customers.models import Account
from safegrid.payments.ledger.models import Payment
from safegrid.payments.online import keys, signing
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.security.models import AuditEntry
from safegrid_sandbox.gateway.notifier import deliver_due
from tests.fixtures.bills import Bills
from tests.fixtures.online import NOTIFY, Online


def _account_no(bills: Bills, amount: str = "100.00") -> tuple[int, str]:
    account_id = bills.account("stationA")
    bills.bill(account_id, amount)
    with bills.world.platform.uow(bills.world.system(), readonly=True) as uow:
        number = uow.session.scalar(select(Account.number).where(Account.id == account_id))
    assert number
    return account_id, number


def _count(online: Online, model: type, *where: object) -> int:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _notes(online: Online) -> list[str]:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        bodies = uow.session.scalars(
            select(AuditEntry.body).where(AuditEntry.action == "payment.callback_rejected")
        ).all()
    return [json.loads(b)["note"] for b in bodies]


def _paid_form(online: Online, order_no: str, amount: str = "100.00") -> dict[str, str]:
    d = online.gateway.pay(order_no)
    form: dict[str, str] = json.loads(d.body)
    assert form["amount"] == amount
    return form


def test_pay_6_pay_7_gateway_callback_captures_exactly_once(online: Online, bills: Bills) -> None:
    account_id, number = _account_no(bills)
    placed = online.order(number, "100.00", device="d1")
    assert placed.pay_url and placed.pay_url.endswith(f"/pay/{placed.order_no}")
    online.gateway.pay(placed.order_no)
    assert online.deliver() == 1
    deliveries = online.gateway.store.deliveries()
    assert [(d.delivered, d.attempts) for d in deliveries] == [(True, 1)]
    # The channel sends the same callback again (lost answer, retry): acknowledged, no change.
    form = json.loads(deliveries[0].body)
    for _ in range(3):
        resp = online.client.post(NOTIFY, data=form)
        assert (resp.status_code, resp.text) == (200, "success")
    assert _count(online, Payment, Payment.account_id == account_id) == 1
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        order = uow.session.scalars(select(PaymentOrder)).one()
        payment = uow.session.get(Payment, order.payment_id)
        assert order.status == OrderStatus.PAID
        assert order.trade_no == deliveries[0].trade_no
        assert payment is not None
        assert payment.idempotency_key == f"online:{order.trade_no}"
        assert (payment.amount, payment.applied) == (Decimal("100.00"), Decimal("100.00"))


def test_pay_7_gateway_retries_until_safegrid_answers_success(online: Online, bills: Bills) -> None:
    _, number = _account_no(bills)
    placed = online.order(number, "100.00", device="d2")
    online.gateway.pay(placed.order_no)
    answers = iter([(503, "busy"), (200, "ok"), (200, "success ")])

    def flaky(url: str, form: dict[str, str]) -> tuple[int, str]:
        try:
            return next(answers)  # SafeGrid down, then a wrong body: not acknowledged
        except StopIteration:
            return online.send(url, form)

    assert [deliver_due(online.gateway, NOTIFY, flaky) for _ in range(4)] == [0, 0, 0, 1]
    (d,) = online.gateway.store.deliveries()
    assert (d.delivered, d.attempts) == (True, 4)
    assert _count(online, Payment) == 1


def test_pay_6_tampered_amount_is_rejected_logged_and_alerted(online: Online, bills: Bills) -> None:
    _, number = _account_no(bills)
    placed = online.order(number, "100.00", device="d3")
    online.gateway.set_tamper("10.00")  # pay 100, report 10
    online.gateway.pay(placed.order_no)
    assert online.deliver() == 0
    assert online.deliver() == 0  # the channel's retry: refused again
    (d,) = online.gateway.store.deliveries()
    assert (d.amount_fen, d.reported_fen, d.delivered, d.last_status) == (10000, 1000, False, 422)
    assert _count(online, Payment) == 0
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        order = uow.session.scalars(select(PaymentOrder)).one()
        assert order.status == OrderStatus.CREATED and order.tampered_at is not None
        alerts = uow.session.scalars(
            select(Alert).where(Alert.key_field == "callback_tampered")
        ).all()
    assert len(alerts) == 1, "one alert per tampered order, not one per retry"
    assert (alerts[0].before, alerts[0].after) == ("100.00", "10.00")
    assert [n.split(":")[0] for n in _notes(online)] == ["amount_mismatch", "amount_mismatch"]
    resp = online.client.post(NOTIFY, data=json.loads(d.body))
    assert resp.status_code == 422 and resp.json()["field"] == "amount"


@pytest.mark.parametrize(
    ("change", "status", "field", "reason"),
    [
        ("unsigned", 400, "sign", "unsigned"),
        ("wrong_key", 401, "sign", "bad_signature"),
        ("edited", 401, "sign", "bad_signature"),
        ("unknown_order", 404, "merchant_order_no", "unknown_order"),
    ],
)
def test_pay_6_bad_callbacks_are_clear_errors_logged_nothing_credited(
    online: Online,
    bills: Bills,
    tmp_path: Path,
    change: str,
    status: int,
    field: str,
    reason: str,
) -> None:
    _, number = _account_no(bills)
    placed = online.order(number, "100.00", device="d4")
    form = _paid_form(online, placed.order_no)
    if change == "unsigned":
        form.pop("sign")
    elif change == "wrong_key":
        other = keys.ensure_dev_keypair(tmp_path / "other", keys.GATEWAY)
        form = signing.signed(form, other)
    elif change == "edited":
        form["amount"] = "1.00"  # signed for 100.00
    elif change == "unknown_order":
        form["merchant_order_no"] = "OL20990101FFFFFFFFFFFF"
        form = online.gateway.sign(form)
    resp = online.client.post(NOTIFY, data=form)
    assert resp.status_code == status
    assert resp.json()["field"] == field
    assert _count(online, Payment) == 0
    assert [n.split(":")[0] for n in _notes(online)] == [reason]
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        assert uow.session.scalars(select(PaymentOrder.status)).one() == OrderStatus.CREATED
