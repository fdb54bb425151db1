"""PAY-6 / PAY-7 under group commit (ADR 0010, ADR 0013): callbacks taken many to a
transaction — at the inbox's door, then by its applier — still get one answer each, a bad
one does not spoil the others, and ``success`` is only said after the batch's commit."""

from __future__ import annotations

import concurrent.futures
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from safegrid.alerts.models import Alert
from safegrid.bootstrap import Platform
from safegrid.customers.models import Account
from safegrid.payments.ledger.models import Payment
from safegrid.payments.online.callbacks import batch as callback_batch
from safegrid.payments.online.callbacks.applier import drain
from safegrid.payments.online.callbacks.batch import (
    Answer,
    Callback,
    CallbackBatcher,
    CallbackNotRecorded,
)
from safegrid.payments.online.callbacks.inbox import receive_batch
from safegrid.payments.online.channels import CallbackRejected
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.security import audit
from safegrid.security.actor import Actor
from safegrid.security.audit_deferred import DeferredAuditUnitOfWork
from safegrid.security.models import AuditEntry
from tests.fixtures.bills import Bills
from tests.fixtures.commit_gate import CommitGate
from tests.fixtures.online import NOTIFY, Online

CHANNEL = Actor.system("channel:sandbox", "api")


def _callback(
    online: Online, bills: Bills, amount: str = "100.00", *, tamper: str | None = None
) -> tuple[Callback, dict[str, str]]:
    """A paid order's signed callback, as the gateway sends it (signature verified)."""
    account_id = bills.account("stationA")
    bills.bill(account_id, "100.00")
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        number = uow.session.scalar(select(Account.number).where(Account.id == account_id))
    assert number
    placed = online.order(number, amount)
    online.gateway.set_tamper(tamper)
    form: dict[str, str] = json.loads(online.gateway.pay(placed.order_no).body)
    online.gateway.set_tamper(None)
    return Callback(CHANNEL, "sandbox", online.channel.verify_callback(form)), form


def apply_batch(platform: Platform, items: list[Callback]) -> list[Answer]:
    """The one route: a batch through the inbox's door (one transaction, one answer each),
    then the applier puts it into the ledger."""
    answers = receive_batch(platform, items)
    drain(platform)
    return answers


def _count(online: Online, model: type) -> int:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _chain_ok(online: Online) -> None:
    with online.platform.engine.connect() as conn:
        assert audit.verify(conn).ok


def test_pay_7_batch_with_bad_callbacks_credits_each_good_one_once(
    online: Online, bills: Bills
) -> None:
    good1, _ = _callback(online, bills)
    good2, _ = _callback(online, bills, "40.00")
    tampered, tampered_form = _callback(online, bills, tamper="10.00")  # pay 100, say 10
    assert tampered.cb.amount == Decimal("10.00")
    stranger = online.gateway.sign({**tampered_form, "merchant_order_no": "OL20990101FFFFFFFF"})
    unknown = Callback(CHANNEL, "sandbox", online.channel.verify_callback(stranger))
    answers = apply_batch(online.platform, [good1, tampered, unknown, good2, good1])
    assert answers[0] == answers[3] == answers[4] == "success"  # the repeat: acknowledged
    assert isinstance(answers[1], CallbackRejected) and answers[1].reason == "amount_mismatch"
    assert isinstance(answers[2], CallbackRejected) and answers[2].reason == "unknown_order"
    assert _count(online, Payment) == 2, "each good callback credited exactly once"
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        rows = uow.session.execute(select(PaymentOrder.order_no, PaymentOrder.status)).all()
        statuses = {str(no): status for no, status in rows}
        assert statuses[good1.cb.order_no] == statuses[good2.cb.order_no] == OrderStatus.PAID
        assert statuses[tampered.cb.order_no] == OrderStatus.CREATED
        assert uow.session.scalar(select(func.count()).select_from(Alert)) == 1
        actions = uow.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("payment.callback_rejected") == 2  # both refusals logged
    assert actions.count("payment.online_paid") == 2
    _chain_ok(online)
    # The same batch again: nothing new credited, every answer the same.
    again = apply_batch(online.platform, [good1, good2])
    assert again == ["success", "success"] and _count(online, Payment) == 2


def test_pay_7_a_callback_failing_unexpectedly_is_retried_alone(
    online: Online, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, _ = _callback(online, bills)
    flaky, _ = _callback(online, bills, "60.00")
    calls: list[str] = []
    # The batch's set-based capture fails (after the orders were locked): all of it is
    # rolled back to its savepoint and each callback is applied alone, as a batch of one
    # (the hiccup was the batch's, so alone it goes through).
    real_many = callback_batch.capture_many
    many_calls: list[int] = []

    def capture_many_broken(uow: DeferredAuditUnitOfWork, items: Any, **kw: Any) -> Any:
        many_calls.append(len(items))
        if len(items) > 1 and any(i.amount == Decimal("60.00") for i in items):
            raise RuntimeError("database hiccup")
        calls.extend(i.idempotency_key for i in items)
        return real_many(uow, items, **kw)

    monkeypatch.setattr(callback_batch, "capture_many", capture_many_broken)
    answers = apply_batch(online.platform, [flaky, good])
    assert answers == ["success", "success"]
    assert many_calls == [2, 1, 1]  # once for the batch, then each callback alone
    assert calls.count(f"online:{flaky.cb.trade_no}") == 1
    assert calls.count(f"online:{good.cb.trade_no}") == 1
    assert _count(online, Payment) == 2
    _chain_ok(online)


def test_pay_7_answer_only_after_the_batch_commits(
    online: Online, bills: Bills, commit_gate: CommitGate
) -> None:
    item, _ = _callback(online, bills)
    future = CallbackBatcher(8, apply_batch).submit(online.platform, item)
    assert commit_gate.reached.wait(10)
    with pytest.raises(concurrent.futures.TimeoutError):
        future.result(timeout=0.3)  # applied, not yet committed: no answer
    commit_gate.release.set()
    assert future.result(timeout=10) == "success"
    assert _count(online, Payment) == 1


def test_pay_7_failed_commit_answers_not_recorded_and_the_retry_credits_once(
    online: Online, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, form = _callback(online, bills)

    def failing_commit(self: DeferredAuditUnitOfWork) -> None:
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(DeferredAuditUnitOfWork, "commit", failing_commit)
        answer = CallbackBatcher(8, apply_batch).submit(online.platform, item).result(timeout=10)
        assert isinstance(answer, CallbackNotRecorded)
        resp = online.client.post(NOTIFY, data=form)
        assert resp.status_code == 503  # the channel will send it again
    assert _count(online, Payment) == 0
    for _ in range(2):  # the channel's retries
        resp = online.client.post(NOTIFY, data=form)
        assert (resp.status_code, resp.text) == (200, "success")
    drain(online.platform)  # acknowledged into the inbox; the applier takes it (ADR 0013)
    assert _count(online, Payment) == 1
    _chain_ok(online)


def test_pay_7_concurrent_callbacks_over_http_each_acknowledged_once(
    online: Online, bills: Bills
) -> None:
    forms = [_callback(online, bills, f"{20 + i}.00")[1] for i in range(6)]
    sent = forms + forms[:3]  # the channel's retries race the first deliveries

    def post(form: dict[str, str]) -> tuple[int, str]:
        resp = online.client.post(NOTIFY, data=form)
        return resp.status_code, resp.text

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, sent))
    assert answers == [(200, "success")] * len(sent)
    drain(online.platform)
    assert _count(online, Payment) == 6
    _chain_ok(online)


def test_pay_7_another_trade_for_an_order_taken_in_the_same_batch_is_refused(
    online: Online, bills: Bills
) -> None:
    first, form = _callback(online, bills)
    other = Callback(
        CHANNEL,
        "sandbox",
        online.channel.verify_callback(online.gateway.sign({**form, "trade_no": "SBXOTHER01"})),
    )
    # Both reach the set-based capture's batch; the second sees the first one's capture.
    answers = apply_batch(online.platform, [first, other, first])
    assert answers[0] == answers[2] == "success"
    assert isinstance(answers[1], CallbackRejected) and answers[1].reason == "order_closed"
    assert _count(online, Payment) == 1
    _chain_ok(online)
