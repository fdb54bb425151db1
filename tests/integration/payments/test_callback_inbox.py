"""PAY-6 / PAY-7 with the durable callback inbox (ADR 0013): ``success`` means the
callback is committed to the inbox; the ledger applies it behind, exactly once, however
often it is sent, applied or crashed in between. Refusals are still refused at the door."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from safegrid.alerts.models import Alert
from safegrid.cli import app as cli_app
from safegrid.customers.models import Account
from safegrid.payments.ledger.invariant import ledger_totals
from safegrid.payments.ledger.models import Payment
from safegrid.payments.online.callbacks import applier as inbox_applier
from safegrid.payments.online.callbacks import batch as callback_batch
from safegrid.payments.online.callbacks import inbox as callback_inbox
from safegrid.payments.online.callbacks.batch import Callback
from safegrid.payments.online.callbacks.models import CallbackInbox, InboxState
from safegrid.payments.online.callbacks.process import applier_process
from safegrid.payments.online.channels import CallbackRejected
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.payments.online.settings import get_channel_settings
from safegrid.security import audit
from safegrid.security.actor import Actor
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.online import NOTIFY, Online

CHANNEL = Actor.system("channel:sandbox", "api")


@pytest.fixture(autouse=True)
def _nobody_applies(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The door alone: no applier thread, so each test decides when the ledger applies."""
    monkeypatch.setenv("SAFEGRID_PAY_INBOX_APPLIER", "none")
    get_channel_settings.cache_clear()
    yield
    get_channel_settings.cache_clear()


def _form(
    online: Online, bills: Bills, amount: str = "100.00", tamper: str | None = None
) -> dict[str, str]:
    """A paid order's signed callback, as the gateway sends it."""
    account_id = bills.account("stationA")
    bills.bill(account_id, "100.00")
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        number = uow.session.scalar(select(Account.number).where(Account.id == account_id))
    assert number
    # Each from its own address: more than 10 payments from one IP is the risk engine's
    # step-up rule, not what these tests are about.
    placed = online.order(number, amount, ip=f"10.2.{account_id // 250}.{account_id % 250}")
    online.gateway.set_tamper(tamper)
    form: dict[str, str] = json.loads(online.gateway.pay(placed.order_no).body)
    online.gateway.set_tamper(None)
    return form


def _post(online: Online, form: dict[str, str]) -> tuple[int, str]:
    resp = online.client.post(NOTIFY, data=form)  # no drain: the door only
    return resp.status_code, resp.text


def _count(online: Online, model: type, *where: object) -> int:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        q = select(func.count()).select_from(model)
        for w in where:
            q = q.where(w)  # type: ignore[arg-type]
        return int(uow.session.scalar(q) or 0)


def _order(online: Online, order_no: str) -> PaymentOrder:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        order = uow.session.scalars(
            select(PaymentOrder).where(PaymentOrder.order_no == order_no)
        ).one()
        uow.session.expunge(order)
        return order


def test_pay_7_acknowledged_once_in_the_inbox_then_applied_once(
    online: Online, bills: Bills
) -> None:
    form = _form(online, bills)
    assert _post(online, form) == (200, "success")
    # Durably received, not yet in the ledger: the signed callback is kept as evidence.
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        row = uow.session.scalars(select(CallbackInbox)).one()
        assert row.state == InboxState.PENDING and row.trade_no == form["trade_no"]
        assert json.loads(row.signed)["sign"] == form["sign"]
    assert _count(online, Payment) == 0
    assert _order(online, form["merchant_order_no"]).status == OrderStatus.CREATED
    # The channel retries before the ledger applied it: the same row, the same answer.
    assert _post(online, form) == (200, "success")
    assert _count(online, CallbackInbox) == 1
    assert inbox_applier.drain(online.platform) == 1
    order = _order(online, form["merchant_order_no"])
    assert order.status == OrderStatus.PAID and order.trade_no == form["trade_no"]
    assert _count(online, CallbackInbox, CallbackInbox.state == InboxState.APPLIED) == 1
    # A retry after it was applied, and a second applier run: nothing more.
    assert _post(online, form) == (200, "success")
    assert inbox_applier.drain(online.platform) == 0
    assert _count(online, Payment) == 1
    with online.platform.engine.connect() as conn:
        assert audit.verify(conn).ok
        assert ledger_totals_hold(online)


def ledger_totals_hold(online: Online) -> bool:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        return ledger_totals(uow.session).holds


def test_pay_6_refusals_are_refused_at_the_door_and_never_reach_the_inbox(
    online: Online, bills: Bills
) -> None:
    tampered = _form(online, bills, tamper="10.00")  # paid 100, the callback says 10
    code, body = _post(online, tampered)
    assert code == 422 and "amount" in body
    unknown = online.gateway.sign({**_form(online, bills), "merchant_order_no": "OL2099FFFF"})
    assert _post(online, unknown)[0] == 404
    unsigned = {k: v for k, v in _form(online, bills).items() if k != "sign"}
    assert _post(online, unsigned)[0] == 400
    assert _count(online, CallbackInbox) == 0
    assert _count(online, Alert) == 1  # the tampered amount alerted the managers
    assert inbox_applier.drain(online.platform) == 0
    assert _count(online, Payment) == 0


def test_pay_7_a_second_trade_for_an_order_the_inbox_holds_is_refused(
    online: Online, bills: Bills
) -> None:
    form = _form(online, bills)
    assert _post(online, form) == (200, "success")
    other = online.gateway.sign({**form, "trade_no": "SBXOTHERTRADE1"})
    code, body = _post(online, other)
    assert code == 409 and "merchant_order_no" in body
    inbox_applier.drain(online.platform)
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        assert uow.session.scalars(select(Payment.amount)).all() == [Decimal("100.00")]
        actions = uow.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("payment.callback_rejected") == 1
    assert _order(online, form["merchant_order_no"]).trade_no == form["trade_no"]


def test_pay_7_two_appliers_at_once_apply_each_row_once(online: Online, bills: Bills) -> None:
    forms = [_form(online, bills, f"{30 + i}.00") for i in range(12)]
    for form in forms:
        assert _post(online, form) == (200, "success")
    done: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            done.append(inbox_applier.drain(online.platform))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert _count(online, Payment) == 12 and sum(done) >= 12
    assert _count(online, CallbackInbox, CallbackInbox.state == InboxState.APPLIED) == 12
    assert ledger_totals_hold(online)


def test_pay_7_a_row_failing_repeatedly_stops_and_is_reported_stuck(
    online: Online, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, bad = _form(online, bills), _form(online, bills, "55.00")
    assert _post(online, good) == _post(online, bad) == (200, "success")
    real = callback_batch.capture_many

    def broken(uow: object, items: Any, **kw: Any) -> Any:
        if any(i.idempotency_key == f"online:{bad['trade_no']}" for i in items):
            raise RuntimeError("database hiccup")
        return real(uow, items, **kw)

    # The batch path fails for the bad row (its capture is broken), then alone too.
    monkeypatch.setattr(callback_batch, "capture_many", broken)
    for _ in range(inbox_applier.MAX_ATTEMPTS + 2):
        inbox_applier.apply_pending(online.platform)
    s = inbox_applier.status(online.platform)
    assert (s.pending, s.applied, s.stuck) == (0, 1, 1)
    result = CliRunner().invoke(cli_app, ["payments", "inbox", "status"])
    assert result.exit_code == 1 and "stuck 1" in result.output
    # A person fixes the cause and puts the row back: it is applied once.
    monkeypatch.undo()
    monkeypatch.setenv("SAFEGRID_PAY_INBOX_APPLIER", "none")
    with online.platform.engine.begin() as conn:
        conn.execute(update(CallbackInbox).values(attempts=0))
    inbox_applier.drain(online.platform)
    assert _count(online, Payment) == 2


def test_aud_1_every_failed_attempt_on_an_inbox_row_is_audited(
    online: Online, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row that fails changes (attempts, outcome) through an audited service: one entry
    per failure, by the applier, naming the trade; the last one says the row is stuck."""
    bad = _form(online, bills, "56.00")
    assert _post(online, bad) == (200, "success")

    def broken(uow: object, items: Any, **kw: Any) -> Any:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(callback_batch, "capture_many", broken)
    for _ in range(inbox_applier.MAX_ATTEMPTS + 1):
        inbox_applier.apply_pending(online.platform)
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        entries = uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "payment.inbox_failed")
            .order_by(AuditEntry.seq)
        ).all()
        row = uow.session.scalars(select(CallbackInbox)).one()
        assert len(entries) == inbox_applier.MAX_ATTEMPTS == row.attempts
        assert {e.actor_name for e in entries} == {"system:payments.inbox"}
        assert all(e.object_id == str(row.id) for e in entries)
        last = entries[-1].after
        assert last is not None and last["trade_no"] == bad["trade_no"] and last["stuck"] is True
        assert last["outcome"] == row.outcome and row.outcome.startswith("error: ")
    with online.platform.engine.connect() as conn:
        assert audit.verify(conn).ok


def test_pay_7_the_applier_process_next_to_the_server_applies_what_was_acknowledged(
    online: Online, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms = [_form(online, bills, f"{20 + i}.00") for i in range(3)]
    for form in forms:
        assert _post(online, form) == (200, "success")
    assert _count(online, Payment) == 0
    settings = online.platform.settings
    monkeypatch.delenv("SAFEGRID_PAY_INBOX_APPLIER")
    monkeypatch.setenv("SAFEGRID_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEGRID_ENV", "test")
    monkeypatch.setenv("SAFEGRID_SECRET_KEY", settings.secret_key)
    get_channel_settings.cache_clear()
    with applier_process() as proc:
        assert proc is not None
        # The server's own processes are told to leave the applying to it.
        assert os.environ["SAFEGRID_PAY_INBOX_APPLIER"] == "process"
        inbox_applier.wait_applied(online.platform, timeout=60)
    assert proc.returncode is not None  # stopped with the server
    assert _count(online, Payment) == 3
    assert _count(online, CallbackInbox, CallbackInbox.state == InboxState.APPLIED) == 3


def test_pay_7_callbacks_in_one_door_batch_answer_each_once(online: Online, bills: Bills) -> None:
    form = _form(online, bills)
    other = online.gateway.sign({**form, "trade_no": "SBXOTHERTRADE2"})
    cb = online.channel.verify_callback(form)
    item = Callback(CHANNEL, "sandbox", cb, form)
    rival = Callback(CHANNEL, "sandbox", online.channel.verify_callback(other), other)
    answers = callback_inbox.receive_batch(online.platform, [item, item, rival])
    assert answers[:2] == ["success", "success"]
    assert getattr(answers[2], "reason", None) == "order_closed"
    assert _count(online, CallbackInbox) == 1


def test_pay_6_the_fast_path_answers_like_the_api_route(online: Online, bills: Bills) -> None:
    """Urlencoded callbacks are answered by the ASGI fast path, anything else by the
    documented route: the same answers, errors and security headers either way."""
    form = _form(online, bills)
    fast = online.client.post(NOTIFY, data=form)
    assert (fast.status_code, fast.text) == (200, "success")
    assert fast.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in fast.headers["content-security-policy"]
    # The same callback as multipart goes through FastAPI's route: a repeat, acknowledged.
    routed = online.client.post(NOTIFY, files={k: (None, v) for k, v in form.items()})
    assert (routed.status_code, routed.text) == (200, "success")
    assert routed.headers["x-content-type-options"] == "nosniff"
    assert _count(online, CallbackInbox) == 1
    # Errors name the field, on both paths.
    bad = {**form, "sign": "AAAA"}
    for resp in (
        online.client.post(NOTIFY, data=bad),
        online.client.post(NOTIFY, files={k: (None, v) for k, v in bad.items()}),
    ):
        assert resp.status_code == 401 and resp.json()["field"] == "sign"
    huge = online.client.post(
        NOTIFY,
        content=b"a=" + b"x" * 20_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 422 and huge.json()["field"] == "body"
    garbled = online.client.post(
        NOTIFY,
        content=b"\xff\xfe=\xff",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert garbled.status_code == 422 and garbled.json()["field"] == "body"
    assert _count(online, CallbackInbox) == 1


def test_pay_7_finance_sees_stuck_rows_in_the_console_and_puts_one_back(
    online: Online, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = _form(online, bills)
    assert _post(online, form) == (200, "success")
    with online.platform.engine.begin() as conn:
        conn.execute(update(CallbackInbox).values(attempts=inbox_applier.MAX_ATTEMPTS))
    w = online.world
    finance = w.staff(Post.FINANCE, "cityA")
    client = TestClient(app_for(online.platform))
    client.cookies.set(SESSION_COOKIE, w.token(finance, "console"))
    page = client.get("/payments/inbox")
    assert page.status_code == 200
    assert form["trade_no"] in page.text and 'data-count="stuck">1' in page.text
    row_id = re.search(r"/payments/inbox/(\d+)/put-back", page.text)
    assert row_id
    cashier = TestClient(app_for(online.platform))
    cashier.cookies.set(SESSION_COOKIE, w.token(w.staff(Post.CASHIER, "hallA"), "console"))
    assert cashier.post(f"/payments/inbox/{row_id.group(1)}/put-back").status_code == 403
    done = client.post(f"/payments/inbox/{row_id.group(1)}/put-back", follow_redirects=False)
    assert done.status_code == 303
    assert inbox_applier.drain(online.platform) == 1
    assert _count(online, Payment) == 1
    after = client.get("/payments/inbox").text
    assert 'data-count="applied">1' in after and 'data-testid="inbox-empty"' in after
    again = client.post(f"/payments/inbox/{row_id.group(1)}/put-back")
    assert again.status_code == 409


def test_pay_7_a_callback_the_door_refuses_never_reaches_the_ledger_around_the_inbox(
    online: Online, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ADR 0018: the inbox is the only route to the ledger. A callback the door's unlocked
    read finds not payable goes to the one-by-one refusal; if under the lock it is payable
    after all (a race), it is not captured there: 503, and the channel's resend is taken
    by the door."""
    form = _form(online, bills)

    def closed(order: object, cb: object, channel: str) -> CallbackRejected:
        return CallbackRejected(409, "order_closed", "raced", field="merchant_order_no")

    with monkeypatch.context() as m:
        m.setattr(callback_inbox, "verdict", closed)
        assert _post(online, form)[0] == 503
    assert _count(online, Payment) == 0 and _count(online, CallbackInbox) == 0
    assert _post(online, form) == (200, "success")
    assert inbox_applier.drain(online.platform) == 1
    assert _count(online, Payment) == 1
