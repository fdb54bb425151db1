"""Refunds with approval (issue #5 item 5) and PAY-5's pay-then-refund rule: requested at the
counter, approved by someone else with the right post, seen by the risk engine first."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.payments.ledger import refunds
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.invariant import ledger_totals
from safegrid.payments.ledger.models import (
    PaymentChannel,
    PaymentStatus,
    RefundRequest,
    RefundStatus,
)
from safegrid.payments.risk import cases, paid_batch
from safegrid.payments.risk import engine as risk
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, PermissionDeniedError, ValidationProblem
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import Staff, World

D = Decimal


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def paid(world: World, bills: Bills, amount: str = "100.00", *, online: bool = False) -> int:
    account = bills.account()
    bills.bill(account, "60.00")
    channel = PaymentChannel.ONLINE_SANDBOX if online else PaymentChannel.COUNTER_CASH
    with world.platform.uow(world.system()) as uow:
        result = ledger.capture(
            uow,
            account_id=account,
            amount=D(amount),
            channel=channel,
            idempotency_key=f"K-{account}",
        )
        if online:  # what the online channel tells the risk engine on every capture
            paid_batch.note_paid(uow, account, D(amount), clock.now(), result.payment_id)
        uow.commit()
    return result.payment_id


def ask(world: World, who: Staff, payment_id: int, amount: str = "30.00") -> RefundRequest:
    return refunds.do_request_refund(
        world.platform.uow(world.actor(who)), refunds.RefundAsk(payment_id, D(amount), "多缴")
    )


def decide(world: World, who: Staff, request_id: int, approve: bool = True) -> RefundRequest:
    return refunds.do_decide_refund(
        world.platform.uow(world.actor(who)), request_id, approve=approve, note="核实无误"
    )


def test_refund_needs_approval_by_someone_else_then_executes(world: World, bills: Bills) -> None:
    payment = paid(world, bills)
    cashier = world.staff(Post.CASHIER, "countyA")
    finance = world.staff(Post.FINANCE, "countyA")
    request = ask(world, cashier, payment)
    assert (request.status, request.risk_action) == (RefundStatus.PENDING, "allow")
    done = decide(world, finance, request.id)
    assert done.status == RefundStatus.EXECUTED and done.event_id is not None
    with world.platform.uow(world.system(), readonly=True) as uow:
        from safegrid.payments.ledger.models import Payment

        assert uow.session.get_one(Payment, payment).refunded == D("30.00")
        assert ledger_totals(uow.session).holds
    with pytest.raises(ConflictError):
        decide(world, world.staff(Post.DEPARTMENT_HEAD, "countyA"), request.id)


def test_refund_requester_cannot_approve_own_request(world: World, bills: Bills) -> None:
    payment = paid(world, bills)
    finance = world.staff(Post.FINANCE, "countyA")
    request = ask(world, finance, payment)
    with pytest.raises(PermissionDeniedError):
        decide(world, finance, request.id)
    rejected = decide(world, world.staff(Post.DEPARTMENT_HEAD, "countyA"), request.id, False)
    assert rejected.status == RefundStatus.REJECTED


def test_refund_more_than_is_left_is_refused_with_the_field(world: World, bills: Bills) -> None:
    payment = paid(world, bills)
    cashier = world.staff(Post.CASHIER, "countyA")
    ask(world, cashier, payment, "80.00")
    with pytest.raises(ValidationProblem) as err:
        ask(world, cashier, payment, "20.01")  # 80 already asked for, still pending
    assert err.value.field == "amount"
    with pytest.raises(ValidationProblem) as err:
        ask(world, cashier, payment, "0.001")
    assert err.value.field == "amount"


def test_pay_5_refund_right_after_online_payment_is_held_for_review(
    world: World, bills: Bills
) -> None:
    payment = paid(world, bills, online=True)
    agent = world.staff(Post.HALL_AGENT, "countyA")
    finance = world.staff(Post.FINANCE, "countyA")
    request = ask(world, agent, payment)
    assert request.status == RefundStatus.HELD and request.risk_action == "review"
    assert request.risk_case_id is not None
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert risk.suspended_until(uow, request.account_id) is not None
    with pytest.raises(ConflictError) as err:
        decide(world, finance, request.id)
    assert "risk case" in err.value.message
    reviewer = world.staff(Post.DATA_SECURITY_OFFICER, "prov")
    cases.do_lift(world.platform.uow(world.actor(reviewer)), request.risk_case_id, "客户确认")
    done = decide(world, finance, request.id)
    assert done.status == RefundStatus.EXECUTED


def _h(world: World, staff: Staff) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(staff)}"}


def test_refund_api_request_decide_and_trace(
    world: World, bills: Bills, client: TestClient
) -> None:
    payment = paid(world, bills)
    cashier = world.staff(Post.CASHIER, "countyA")
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    bad = client.post(
        "/api/payments/refunds",
        json={"payment_id": payment, "amount": "-1", "reason": "x"},
        headers=_h(world, cashier),
    )
    assert bad.status_code == 422 and "amount" in bad.text
    resp = client.post(
        "/api/payments/refunds",
        json={"payment_id": payment, "amount": "100.00", "reason": "收错户号"},
        headers=_h(world, cashier),
    )
    assert resp.status_code == 201, resp.text
    request_id = resp.json()["id"]
    # The cashier may ask but not approve.
    assert (
        client.post(
            f"/api/payments/refunds/{request_id}/decision",
            json={"approve": True},
            headers=_h(world, cashier),
        ).status_code
        == 403
    )
    resp = client.post(
        f"/api/payments/refunds/{request_id}/decision",
        json={"approve": True, "note": "同意"},
        headers=_h(world, head),
    )
    assert resp.status_code == 200 and resp.json()["status"] == "executed", resp.text
    trace = client.get(f"/api/payments/{payment}/trace", headers=_h(world, head)).json()
    assert trace["payment"]["status"] == PaymentStatus.REFUNDED.value
    assert [e["kind"] for e in trace["events"]] == ["captured", "refunded"]
    assert [w["kind"] for w in trace["write_offs"]] == ["payment", "unwind"]
    found = client.get(
        "/api/payments",
        params={"account_number": trace["payment"]["account_number"]},
        headers=_h(world, head),
    ).json()
    assert [p["id"] for p in found["items"]] == [payment]
    # Another county's finance does not see the payment at all.
    other = world.staff(Post.FINANCE, "countyB")
    assert client.get(f"/api/payments/{payment}/trace", headers=_h(world, other)).status_code == 404
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(RefundRequest)) == 1


def test_console_pages_search_trace_and_refund_inbox(
    world: World, bills: Bills, client: TestClient
) -> None:
    from safegrid.security.guards import SESSION_COOKIE

    payment = paid(world, bills)
    cashier = world.staff(Post.CASHIER, "countyA")
    finance = world.staff(Post.FINANCE, "countyA")
    client.cookies.set(SESSION_COOKIE, world.token(cashier, "console"))
    page = client.get("/payments")
    assert page.status_code == 200 and f"/payments/trace/{payment}" in page.text
    assert client.get(f"/payments/trace/{payment}").status_code == 200
    bad = client.post(
        "/payments/refunds", data={"payment_id": payment, "amount": "abc", "reason": "x"}
    )
    assert bad.status_code == 422
    sent = client.post(
        "/payments/refunds",
        data={"payment_id": payment, "amount": "5.00", "reason": "多缴"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "done=requested" in sent.headers["location"]
    inbox = client.get("/payments/refunds")
    assert "waiting for another approver" not in inbox.text  # a cashier cannot approve at all
    client.cookies.set(SESSION_COOKIE, world.token(finance, "console"))
    inbox = client.get("/payments/refunds")
    assert "/decision" in inbox.text
    request_id = refunds.list_requests(world.platform.uow(world.system(), readonly=True))[0].id
    done = client.post(
        f"/payments/refunds/{request_id}/decision", data={"approve": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303
    trace = client.get(f"/payments/trace/{payment}")
    assert "5.00" in trace.text
