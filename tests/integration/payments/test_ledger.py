"""PAY-7 / BILL-5: the payment ledger — every yuan reaches the right bill exactly once,
overpayment becomes account credit, voids and refunds give back exactly what was taken."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from safegrid.collection import balances as bal
from safegrid.collection import monitoring
from safegrid.collection.models import WriteOff, WriteOffKind
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.invariant import ledger_totals
from safegrid.payments.ledger.models import (
    AppendOnlyError,
    Payment,
    PaymentChannel,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
)
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

D = Decimal
CASH = PaymentChannel.COUNTER_CASH


def outstanding(world: World, bill_id: int) -> Decimal:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return bal.yuan(bal.balances(uow.session, [bill_id])[bill_id].outstanding_fen)


def credit(world: World, account_id: int) -> Decimal:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return ledger.credit_balance(uow, account_id)


def pay(world: World, account: int, amount: str, key: str, **kw: object) -> ledger.CaptureResult:
    return ledger.do_capture(
        world.platform.uow(world.system()),
        account_id=account,
        amount=D(amount),
        channel=kw.pop("channel", CASH),  # type: ignore[arg-type]
        idempotency_key=key,
        **kw,  # type: ignore[arg-type]
    )


def assert_invariant(world: World) -> None:
    with world.platform.uow(world.system(), readonly=True) as uow:
        totals = ledger_totals(uow.session)
    assert totals.holds, totals


def test_pay_7_overpayment_is_kept_as_account_credit(world: World, bills: Bills) -> None:
    account = bills.account()
    bill = bills.bill(account, "80.00")
    result = pay(world, account, "100.00", "K-OVER")
    assert (result.applied, result.credited, result.replayed) == (D("80.00"), D("20.00"), False)
    assert outstanding(world, bill) == D("0.00")
    assert credit(world, account) == D("20.00")
    # A second overpayment adds to the same credit row (atomic SQL update).
    assert pay(world, account, "5.50", "K-OVER-2").credited == D("5.50")
    assert credit(world, account) == D("25.50")
    assert_invariant(world)


def test_pay_7_oldest_bill_is_written_off_first(world: World, bills: Bills) -> None:
    account = bills.account()
    newer = bills.bill(account, "30.00", period="2026-09", due=date(2026, 10, 25))
    older = bills.bill(account, "50.00", period="2026-08", due=date(2026, 9, 25))
    result = pay(world, account, "60.00", "K-OLD")
    assert (result.applied, result.credited) == (D("60.00"), D("0.00"))
    assert [outstanding(world, b) for b in (older, newer)] == [D("0.00"), D("20.00")]
    assert_invariant(world)


def test_pay_7_a_directed_payment_settles_the_bill_named(world: World, bills: Bills) -> None:
    account = bills.account()
    older = bills.bill(account, "50.00", period="2026-08", due=date(2026, 9, 25))
    newer = bills.bill(account, "30.00", period="2026-09", due=date(2026, 10, 25))
    result = pay(world, account, "40.00", "K-DIR", bill_id=newer)
    assert (result.applied, result.credited) == (D("30.00"), D("10.00"))
    assert [outstanding(world, b) for b in (older, newer)] == [D("50.00"), D("0.00")]
    other = bills.bill(bills.account(), "10.00")
    with pytest.raises(ValidationProblem) as err:
        pay(world, account, "10.00", "K-DIR-2", bill_id=other)
    assert err.value.field == "bill_id"
    assert_invariant(world)


def test_pay_7_a_repeated_key_is_a_replay_that_changes_nothing(world: World, bills: Bills) -> None:
    account = bills.account()
    bill = bills.bill(account, "100.00")
    first = pay(world, account, "70.00", "K-REPLAY")
    again = pay(world, account, "70.00", "K-REPLAY")
    assert again.replayed and (again.payment_id, again.applied) == (first.payment_id, D("70.00"))
    assert outstanding(world, bill) == D("30.00")
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert uow.session.scalar(select(func.count()).select_from(PaymentEvent)) == 1
    # The same key for a different payment is a conflict, not a silent replay.
    with pytest.raises(ConflictError) as err:
        pay(world, account, "71.00", "K-REPLAY")
    assert err.value.field == "idempotency_key"
    assert_invariant(world)


def test_pay_7_one_order_is_paid_at_most_once(world: World, bills: Bills) -> None:
    account = bills.account()
    pay(world, account, "10.00", "K-ORD-1", order_id=77, channel=PaymentChannel.ONLINE_SANDBOX)
    with pytest.raises(ConflictError) as err:
        pay(world, account, "10.00", "K-ORD-2", order_id=77)
    assert err.value.field == "order_id"


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.005", "NaN"])
def test_pay_7_bad_amounts_are_refused_and_nothing_is_written(
    world: World, bills: Bills, amount: str
) -> None:
    account = bills.account()
    with pytest.raises(ValidationProblem) as err:
        pay(world, account, amount, f"K-BAD-{amount}")
    assert err.value.field == "amount"
    with pytest.raises(NotFoundError):
        pay(world, 999_999, "1.00", "K-404")
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_pay_7_void_restores_what_the_bills_owed_and_the_credit(world: World, bills: Bills) -> None:
    account = bills.account()
    older = bills.bill(account, "50.00", period="2026-08", due=date(2026, 9, 25))
    newer = bills.bill(account, "30.00", period="2026-09", due=date(2026, 10, 25))
    paid = pay(world, account, "100.00", "K-VOID")
    assert (paid.applied, paid.credited) == (D("80.00"), D("20.00"))
    uow = world.platform.uow(world.system())
    with pytest.raises(ValidationProblem) as err:
        ledger.do_void(uow, paid.payment_id, reason=" ", reference="V-1")
    assert err.value.field == "reason"
    voided = ledger.do_void(uow, paid.payment_id, reason="收错户号", reference="V-1")
    assert (voided.amount, voided.replayed) == (D("100.00"), False)
    assert [outstanding(world, b) for b in (older, newer)] == [D("50.00"), D("30.00")]
    assert credit(world, account) == D("0.00")
    again = ledger.do_void(uow, paid.payment_id, reason="收错户号", reference="V-1")
    assert again.replayed
    with world.platform.uow(world.system(), readonly=True) as r:
        payment = r.session.get_one(Payment, paid.payment_id)
        assert (payment.status, payment.applied, payment.credited, payment.refunded) == (
            PaymentStatus.VOIDED,
            D("0.00"),
            D("0.00"),
            D("100.00"),
        )
        kinds = r.session.scalars(select(WriteOff.kind).order_by(WriteOff.id)).all()
        assert kinds.count(WriteOffKind.UNWIND) == 2  # one per bill, newest first
    # Monitoring sees the bills owed again: nothing collected.
    summary = monitoring.summary(world.platform.uow(world.system(), readonly=True), "2026-08")
    assert all(u.collected == D("0.00") for u in summary.units)
    with pytest.raises(ConflictError):
        ledger.do_void(uow, paid.payment_id, reason="again", reference="V-2")
    assert_invariant(world)


def test_pay_7_partial_refunds_take_credit_first_then_bills(world: World, bills: Bills) -> None:
    account = bills.account()
    bill = bills.bill(account, "80.00")
    paid = pay(world, account, "100.00", "K-REF")
    uow = world.platform.uow(world.system())
    first = ledger.do_refund(uow, paid.payment_id, D("30.00"), reference="R-1")
    assert (first.refunded_total, first.status) == (D("30.00"), PaymentStatus.CAPTURED)
    assert credit(world, account) == D("0.00")
    assert outstanding(world, bill) == D("10.00")
    assert ledger.do_refund(uow, paid.payment_id, D("30.00"), reference="R-1").replayed
    with pytest.raises(ValidationProblem) as err:
        ledger.do_refund(uow, paid.payment_id, D("70.01"), reference="R-2")
    assert err.value.field == "amount"
    last = ledger.do_refund(uow, paid.payment_id, D("70.00"), reference="R-3")
    assert (last.refunded_total, last.status) == (D("100.00"), PaymentStatus.REFUNDED)
    assert outstanding(world, bill) == D("80.00")
    with pytest.raises(ConflictError):
        ledger.do_refund(uow, paid.payment_id, D("1.00"), reference="R-4")
    assert_invariant(world)


def test_pay_7_payment_events_are_append_only(world: World, bills: Bills) -> None:
    account = bills.account()
    pay(world, account, "10.00", "K-APPEND")
    with world.platform.uow(world.system()) as uow:
        event = uow.session.scalars(select(PaymentEvent)).one()
        assert event.kind == PaymentEventKind.CAPTURED
        event.amount = D("1.00")
        with pytest.raises(AppendOnlyError):
            uow.session.flush()


def test_pay_7_postgresql_refuses_any_sql_that_changes_a_payment_event(
    world: World, bills: Bills
) -> None:
    if world.platform.settings.is_sqlite:
        pytest.skip("the database-level guard is PostgreSQL's (SQLite keeps the ORM guard)")
    account = bills.account()
    pay(world, account, "10.00", "K-APPEND-SQL")
    for statement in (
        "UPDATE payment_events SET amount = 1",
        "DELETE FROM payment_events",
    ):
        with (
            world.platform.engine.connect() as conn,
            pytest.raises(IntegrityError, match="append-only"),
        ):
            conn.execute(text(statement))
    with world.platform.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), sum(amount) FROM payment_events")).one() == (
            1,
            D("10.00"),
        )


def test_pay_7_invariant_notices_a_payment_row_that_disagrees(world: World, bills: Bills) -> None:
    account = bills.account()
    bills.bill(account, "10.00")
    pay(world, account, "10.00", "K-INV")
    assert_invariant(world)
    with world.platform.uow(world.system()) as uow:
        # A write-off that no payment explains breaks the invariant: the check can fail.
        uow.session.execute(update(Payment).values(refunded=D("1.00"), applied=D("9.00")))
        uow.session.flush()
        assert not ledger_totals(uow.session).holds
