"""PAY-1: counter payments under dual control — gapless receipt numbers with a date code,
the checker (another person of the same hall) confirms every receipt against the cash and
both sign; a void needs both the cashier and a checker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from safegrid.collection import balances as bal
from safegrid.payments.counter import services as counter
from safegrid.payments.counter import voids as counter_voids
from safegrid.payments.counter.models import (
    CounterMethod,
    CounterReceipt,
    ReceiptCounter,
    ReceiptStatus,
)
from safegrid.payments.counter.schemas import VoidCancelIn, VoidRequestIn
from safegrid.payments.ledger.models import Payment, PaymentStatus
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.security.models import AuditEntry, StaffAccount
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import World

D = Decimal


@pytest.fixture
def desk(world: World, bills: Bills) -> Iterator[Desk]:
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


def count(world: World, model: type[object]) -> int:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def outstanding(world: World, bill_id: int) -> Decimal:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return bal.yuan(bal.balances(uow.session, [bill_id])[bill_id].outstanding_fen)


def test_pay_1_receipt_numbers_are_gapless_per_hall_and_day_and_carry_the_date_code(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = desk.world
    acct, _ = desk.account()
    first = desk.pay(acct, "10.00")
    second = desk.pay(acct, "20.00")
    assert (first.receipt_no, second.receipt_no) == (
        "HALLA-20261102-000001",
        "HALLA-20261102-000002",
    )

    # A payment that fails after taking its number gives the number back with its rollback.
    def crash(*_a: object, **_k: object) -> None:
        raise RuntimeError("power cut between the number and the ledger")

    monkeypatch.setattr(counter.ledger, "capture", crash)
    with pytest.raises(RuntimeError):
        desk.pay(acct, "30.00")
    monkeypatch.undo()
    third = desk.pay(acct, "30.00")
    assert third.receipt_no == "HALLA-20261102-000003"

    # Another hall keeps its own sequence; the next business day starts again at 000001.
    cashier_b = w.staff(Post.CASHIER, "countyB")
    acct_b, _ = desk.account("stationB")
    assert desk.pay(acct_b, "5.00", by=cashier_b).receipt_no == "HALLB-20261102-000001"
    desk.clock.advance(timedelta(days=1))
    assert desk.pay(acct, "1.00").receipt_no == "HALLA-20261103-000001"
    with w.platform.uow(w.system(), readonly=True) as uow:
        serials = uow.session.scalars(
            select(CounterReceipt.serial)
            .where(CounterReceipt.org_unit_id == w.units["hallA"])
            .order_by(CounterReceipt.business_day, CounterReceipt.serial)
        ).all()
        payment = uow.session.get_one(Payment, third.payment_id)
        assert (payment.receipt_no, payment.hall_id, payment.cashier) == (
            third.receipt_no,
            w.units["hallA"],
            desk.cashier.username,
        )
    assert list(serials) == [1, 2, 3, 1]


def test_pay_1_payment_writes_off_the_bill_and_keeps_the_rest_as_credit(desk: Desk) -> None:
    acct, bill = desk.account(bill="100.00")
    assert bill is not None
    receipt = desk.pay(acct, "150.00", bill_id=bill)
    assert (receipt.applied, receipt.credited) == (D("100.00"), D("50.00"))
    assert outstanding(desk.world, bill) == D("0.00")
    assert receipt.status == ReceiptStatus.RECORDED
    assert (receipt.cashier_id, receipt.cashier_name) == (desk.cashier.id, desk.cashier.username)


def test_pay_1_resubmitted_form_returns_the_same_receipt_and_takes_no_number(desk: Desk) -> None:
    acct, bill = desk.account()
    assert bill is not None
    once = desk.pay(acct, "40.00", request_key="same-form-1")
    again = desk.pay(acct, "40.00", request_key="same-form-1")
    assert again.id == once.id and again.receipt_no == once.receipt_no
    assert count(desk.world, Payment) == 1
    assert outstanding(desk.world, bill) == D("60.00")


def test_pay_1_bad_amounts_are_refused_with_the_field_named_and_nothing_written(
    desk: Desk,
) -> None:
    acct, bill = desk.account()
    for amount in ("0", "-5.00", "1.005", "1000000.01"):
        with pytest.raises(ValidationProblem) as err:
            desk.pay(acct, amount)
        assert err.value.field == "amount"
    with pytest.raises(ValidationProblem) as err:
        desk.pay(acct, "10.00", method=CounterMethod.CARD)
    assert err.value.field == "card_voucher"
    with pytest.raises(NotFoundError) as nf:
        desk.pay("9999999999", "10.00")
    assert nf.value.field == "account_no"
    _other, other_bill = desk.account()
    with pytest.raises(ValidationProblem) as err:
        desk.pay(acct, "10.00", bill_id=other_bill)
    assert err.value.field == "bill_id"
    assert (count(desk.world, CounterReceipt), count(desk.world, Payment)) == (0, 0)
    assert count(desk.world, ReceiptCounter) == 0
    assert bill is not None and outstanding(desk.world, bill) == D("100.00")


def test_pay_1_checker_confirms_against_the_counted_cash_and_both_sign(desk: Desk) -> None:
    acct, _ = desk.account()
    receipt = desk.pay(acct, "88.80")
    with pytest.raises(ValidationProblem) as err:
        desk.confirm(receipt, counted="80.80")
    assert err.value.field == "counted"
    signed = desk.confirm(receipt)
    assert signed.status == ReceiptStatus.CONFIRMED
    assert (signed.cashier_name, signed.checker_name) == (
        desk.cashier.username,
        desk.checker.username,
    )
    assert signed.recorded_at is not None and signed.confirmed_at is not None
    with pytest.raises(ConflictError):
        desk.confirm(receipt)  # signed once only


def test_pay_1_checker_cannot_be_cashier(desk: Desk) -> None:
    w = desk.world
    acct, _ = desk.account()
    receipt = desk.pay(acct, "12.00")
    # The cashier is moved to the checker post (one account, one person): his own receipt
    # still needs somebody else.
    with w.platform.uow(w.system()) as uow:
        uow.session.execute(
            update(StaffAccount).where(StaffAccount.id == desk.cashier.id).values(post=Post.CHECKER)
        )
        uow.audit("staff.post_change", object_type="staff_account", object_id=desk.cashier.id)
        uow.commit()
    with pytest.raises(PermissionDeniedError) as err:
        desk.confirm(receipt, by=desk.cashier)
    assert "checker cannot be the cashier" in err.value.message
    with w.platform.uow(w.system(), readonly=True) as uow:
        row = uow.session.get_one(CounterReceipt, receipt.id)
        assert (row.status, row.checker_id) == (ReceiptStatus.RECORDED, None)


def test_pay_1_checker_of_another_hall_is_refused(desk: Desk) -> None:
    w = desk.world
    acct, _ = desk.account()
    receipt = desk.pay(acct, "12.00")
    city_checker = w.staff(Post.CHECKER, "cityA")  # sees hall A, does not work there
    with pytest.raises(PermissionDeniedError) as err:
        desk.confirm(receipt, by=city_checker)
    assert "do not work at this receipt's hall" in err.value.message
    with pytest.raises(NotFoundError):  # outside his scope: as if it did not exist
        desk.confirm(receipt, by=w.staff(Post.CHECKER, "countyB"))
    assert desk.confirm(receipt).status == ReceiptStatus.CONFIRMED


def test_pay_1_void_needs_the_cashier_and_a_checker(desk: Desk) -> None:
    w = desk.world
    acct, bill = desk.account()
    assert bill is not None
    receipt = desk.pay(acct, "100.00")
    desk.confirm(receipt)
    platform = w.platform
    with pytest.raises(ConflictError):  # nobody asked yet: no void on one signature
        counter_voids.do_cosign_void(platform.uow(w.actor(desk.checker)), receipt.id)
    with pytest.raises(PermissionDeniedError):  # another cashier is not one of the pair
        counter_voids.do_request_void(
            platform.uow(w.actor(w.staff(Post.CASHIER, "countyA"))),
            receipt.id,
            VoidRequestIn(reason="typo"),
        )
    asked = counter_voids.do_request_void(
        platform.uow(w.actor(desk.cashier)), receipt.id, VoidRequestIn(reason="wrong account")
    )
    assert asked.status == ReceiptStatus.VOID_REQUESTED
    with pytest.raises(PermissionDeniedError) as err:  # the requester cannot co-sign
        counter_voids.do_cosign_void(platform.uow(w.actor(desk.cashier)), receipt.id)
    assert "second signature" in err.value.message
    assert outstanding(w, bill) == D("0.00")
    voided = counter_voids.do_cosign_void(platform.uow(w.actor(desk.checker)), receipt.id)
    assert voided.status == ReceiptStatus.VOIDED
    assert (voided.void_requested_by, voided.void_cosigned_by) == (
        desk.cashier.username,
        desk.checker.username,
    )
    assert outstanding(w, bill) == D("100.00")
    with platform.uow(w.system(), readonly=True) as uow:
        assert uow.session.get_one(Payment, receipt.payment_id).status == PaymentStatus.VOIDED
    # The voided receipt keeps its number: the next one follows it, no gap.
    assert desk.pay(acct, "1.00").serial == receipt.serial + 1


def test_pay_1_void_asked_by_the_checker_is_cosigned_by_the_cashier(desk: Desk) -> None:
    w = desk.world
    acct, _ = desk.account()
    receipt = desk.pay(acct, "30.00")
    counter_voids.do_request_void(
        w.platform.uow(w.actor(desk.checker)), receipt.id, VoidRequestIn(reason="customer left")
    )
    with pytest.raises(PermissionDeniedError):  # a second checker is not the cashier
        counter_voids.do_cosign_void(
            w.platform.uow(w.actor(w.staff(Post.CHECKER, "countyA"))), receipt.id
        )
    done = counter_voids.do_cosign_void(w.platform.uow(w.actor(desk.cashier)), receipt.id)
    assert done.status == ReceiptStatus.VOIDED


def test_pay_1_a_void_request_can_be_withdrawn_or_declined_and_the_receipt_stands(
    desk: Desk,
) -> None:
    w = desk.world
    acct, bill = desk.account()
    assert bill is not None
    confirmed = desk.pay(acct, "100.00")
    desk.confirm(confirmed)
    recorded = desk.pay(acct, "5.00")
    cashier, checker = w.actor(desk.cashier), w.actor(desk.checker)
    with pytest.raises(ConflictError):  # nothing to withdraw yet
        counter_voids.do_cancel_void(w.platform.uow(cashier), confirmed.id, VoidCancelIn())
    # The cashier asks and thinks better of it: withdrawn, confirmed again.
    counter_voids.do_request_void(
        w.platform.uow(cashier), confirmed.id, VoidRequestIn(reason="wrong account")
    )
    back = counter_voids.do_cancel_void(w.platform.uow(cashier), confirmed.id, VoidCancelIn())
    assert back.status == ReceiptStatus.CONFIRMED and back.void_requested_by is None
    # The checker asks, the cashier declines: recorded again (it was never confirmed).
    counter_voids.do_request_void(
        w.platform.uow(checker), recorded.id, VoidRequestIn(reason="looks doubled")
    )
    stranger = w.actor(w.staff(Post.CHECKER, "countyA"))
    with pytest.raises(PermissionDeniedError):  # not one of the pair
        counter_voids.do_cancel_void(w.platform.uow(stranger), recorded.id, VoidCancelIn())
    declined = counter_voids.do_cancel_void(
        w.platform.uow(cashier), recorded.id, VoidCancelIn(note="the customer paid twice")
    )
    assert declined.status == ReceiptStatus.RECORDED
    # Nothing was taken back, and both steps are in the audit chain.
    assert outstanding(w, bill) == D("0.00")
    with w.platform.uow(w.system(), readonly=True) as uow:
        actions = uow.session.scalars(select(AuditEntry.action)).all()
        notes = [
            e.note
            for e in uow.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "counter.void_declined")
            )
        ]
    assert actions.count("counter.void_withdrawn") == actions.count("counter.void_declined") == 1
    assert notes == ["the customer paid twice"]
    # A new request after a declined one goes the usual way.
    counter_voids.do_request_void(
        w.platform.uow(checker), recorded.id, VoidRequestIn(reason="asked again")
    )
    voided = counter_voids.do_cosign_void(w.platform.uow(cashier), recorded.id)
    assert voided.status == ReceiptStatus.VOIDED


def test_pay_1_concurrent_payments_of_one_hall_get_consecutive_numbers(desk: Desk) -> None:
    w = desk.world
    accounts = [desk.account()[0] for _ in range(2)]
    second_cashier = w.staff(Post.CASHIER, "countyA")
    errors: list[BaseException] = []

    def pay(i: int) -> None:
        try:
            who = desk.cashier if i % 2 else second_cashier
            desk.pay(accounts[i % 2], f"{i + 1}.00", by=who)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with w.platform.uow(w.system(), readonly=True) as uow:
        serials = sorted(uow.session.scalars(select(CounterReceipt.serial)).all())
        last = uow.session.scalar(select(ReceiptCounter.last_serial))
    assert serials == list(range(1, 9)) and last == 8
