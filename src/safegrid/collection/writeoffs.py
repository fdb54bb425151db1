"""销账: writing off bills — the service the payments issue calls (BILL-5).

Rules:
- ``reference`` (e.g. the payment id) is the idempotency key, a unique constraint: a
  repeated call returns the first call's result and changes nothing.
- Never more than the outstanding amount is applied; the caller keeps the remainder as
  credit. Principal is settled before late fees, which stops further accrual soonest.
- Bills are locked (``SELECT … FOR UPDATE`` on PostgreSQL, in primary-key order; SQLite
  writers are already serialised by ``BEGIN IMMEDIATE``).

``apply_*`` work inside the caller's open unit of work (so a payment and its write-off
commit together); ``do_*`` open, audit and commit one themselves.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection import notices
from safegrid.collection.balances import HUNDRED, BillBalance, balances, refresh_open, yuan
from safegrid.collection.events import BillWrittenOff
from safegrid.collection.models import CollectionPosting, WriteOff, WriteOffKind
from safegrid.collection.schemas import WriteOffResult
from safegrid.customers.models import Account
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.idempotency import run_once
from safegrid.platform.money import FEN
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

BILL_NOT_FOUND = "账单不存在 / bill not found"


def _check(amount: Decimal, reference: str) -> None:
    if not isinstance(amount, Decimal):
        raise ValidationProblem("金额须为 Decimal / amount must be a Decimal", field="amount")
    if amount <= 0:
        raise ValidationProblem("金额必须大于零 / amount must be greater than 0", field="amount")
    if amount != amount.quantize(FEN):
        raise ValidationProblem(
            "金额最多两位小数 / amount has more than fen precision", field="amount"
        )
    if not reference or len(reference) > 64:
        raise ValidationProblem(
            "流水号须为 1–64 个字符 / reference must be 1–64 characters", field="reference"
        )


def _fen(amount: Decimal) -> int:
    return int((amount * HUNDRED).to_integral_value())


def _posted(uow: UnitOfWork, reference: str) -> CollectionPosting | None:
    return uow.session.scalars(
        select(CollectionPosting).where(CollectionPosting.reference == reference),
        # References are unique across the utility, whoever posted them.
        execution_options=unscoped("posting references are unique utility-wide"),
    ).first()


def _replay(posting: CollectionPosting, uow: UnitOfWork) -> WriteOffResult:
    bill_ids = uow.session.scalars(
        select(WriteOff.bill_id).where(WriteOff.posting_id == posting.id).order_by(WriteOff.id),
        execution_options=unscoped("a posting's write-offs, whichever unit billed"),
    ).all()
    return WriteOffResult(
        reference=posting.reference,
        applied=posting.applied,
        remainder=posting.remainder,
        replayed=True,
        bill_ids=list(bill_ids),
    )


def _write(
    uow: UnitOfWork,
    posting: CollectionPosting,
    bill: Bill,
    balance: BillBalance,
    budget_fen: int,
    reference: str,
) -> int:
    """Write off up to ``budget_fen`` of ``bill``: principal first, then late fee."""
    principal = min(budget_fen, max(balance.principal_out_fen, 0))
    fee = min(budget_fen - principal, balance.fee_out_fen)
    total = principal + fee
    if total <= 0:
        return 0
    row = WriteOff(
        posting_id=posting.id,
        bill_id=bill.id,
        reference=reference,
        kind=posting.kind,
        amount=yuan(total),
        late_fee_part=yuan(fee),
        written_at=posting.posted_at,
        written_by=posting.posted_by,
        org_unit_id=bill.org_unit_id,
    )
    uow.session.add(row)
    uow.emit(
        BillWrittenOff(
            reference=reference,
            bill_id=bill.id,
            account_id=bill.account_id,
            kind=posting.kind.value,
            amount=str(row.amount),
            late_fee_part=str(row.late_fee_part),
            org_unit_id=bill.org_unit_id,
        )
    )
    return total


def _post(
    uow: UnitOfWork,
    *,
    reference: str,
    kind: WriteOffKind,
    amount: Decimal,
    account_id: int,
    org_unit_id: int,
    bills: list[Bill],
    bill_id: int | None,
    suffix_per_bill: bool,
) -> WriteOffResult:
    posting = CollectionPosting(
        reference=reference,
        kind=kind,
        bill_id=bill_id,
        account_id=account_id,
        requested=amount,
        applied=Decimal("0.00"),
        remainder=amount,
        posted_at=clock.now(),
        posted_by=uow.actor.username,
        org_unit_id=org_unit_id,
    )
    uow.session.add(posting)
    uow.session.flush()
    found = balances(uow.session, [b.id for b in bills])
    budget = _fen(amount)
    touched: list[int] = []
    for bill in bills:
        if budget <= 0:
            break
        ref = f"{reference}#{bill.id}" if suffix_per_bill else reference
        written = _write(uow, posting, bill, found[bill.id], budget, ref)
        if written:
            budget -= written
            touched.append(bill.id)
    posting.applied = yuan(_fen(amount) - budget)
    posting.remainder = yuan(budget)
    refresh_open(uow.session, touched)
    uow.audit(
        "collection.write_off",
        object_type="collection_posting",
        object_id=posting.id,
        org_unit_id=org_unit_id,
        after={
            "reference": reference,
            "kind": kind.value,
            "requested": str(amount),
            "applied": str(posting.applied),
            "remainder": str(posting.remainder),
            "bills": touched,
        },
    )
    if touched:
        notices.settle_account(uow, account_id, reference)
    return WriteOffResult(
        reference=reference,
        applied=posting.applied,
        remainder=posting.remainder,
        replayed=False,
        bill_ids=touched,
    )


def apply_write_off(
    uow: UnitOfWork,
    bill_id: int,
    amount: Decimal,
    reference: str,
    kind: WriteOffKind = WriteOffKind.PAYMENT,
) -> WriteOffResult:
    _check(amount, reference)
    if kind == WriteOffKind.REVERSAL:
        raise ValidationProblem(
            "冲正由冲正账单完成 / reversals come from a reversal bill", field="kind"
        )
    if kind == WriteOffKind.UNWIND:
        raise ValidationProblem(
            "撤销由作废或退款完成 / unwinds come from a void or refund", field="kind"
        )
    bill = uow.session.scalars(select(Bill).where(Bill.id == bill_id).with_for_update()).first()
    if bill is None:
        raise NotFoundError(BILL_NOT_FOUND)
    # Checked after the lock: a concurrent call with this reference has committed by now.
    posting = _posted(uow, reference)
    if posting is not None:
        if posting.bill_id != bill_id or posting.kind != kind:
            raise ConflictError(
                "流水号已用于其他销账 / reference already used for another write-off",
                field="reference",
            )
        return _replay(posting, uow)
    if bill.kind != BillKind.NORMAL:
        raise ValidationProblem(
            "冲正账单不能销账 / a reversal bill cannot be written off", field="bill_id"
        )
    return _post(
        uow,
        reference=reference,
        kind=kind,
        amount=amount,
        account_id=bill.account_id,
        org_unit_id=bill.org_unit_id,
        bills=[bill],
        bill_id=bill.id,
        suffix_per_bill=False,
    )


def apply_write_off_oldest_first(
    uow: UnitOfWork, account_id: int, amount: Decimal, reference: str
) -> WriteOffResult:
    """One payment over the account's open bills, oldest due date first."""
    _check(amount, reference)
    account = uow.session.scalars(select(Account).where(Account.id == account_id)).first()
    if account is None:
        raise NotFoundError("户号不存在 / account not found")
    bills = list(
        uow.session.scalars(
            select(Bill)
            .where(
                Bill.account_id == account_id,
                Bill.kind == BillKind.NORMAL,
                Bill.status == BillStatus.ISSUED,
            )
            .order_by(Bill.id)  # locks are taken in primary-key order: no deadlock
            .with_for_update()
        ).all()
    )
    posting = _posted(uow, reference)
    if posting is not None:
        if posting.bill_id is not None or posting.account_id != account_id:
            raise ConflictError(
                "流水号已用于其他销账 / reference already used for another write-off",
                field="reference",
            )
        return _replay(posting, uow)
    bills.sort(key=lambda b: (b.due_date, b.period, b.id))
    return _post(
        uow,
        reference=reference,
        kind=WriteOffKind.PAYMENT,
        amount=amount,
        account_id=account_id,
        org_unit_id=account.org_unit_id,
        bills=bills,
        bill_id=None,
        suffix_per_bill=True,
    )


def apply_reversal(uow: UnitOfWork, reversal_bill_id: int) -> WriteOffResult:
    """A reversal bill cancels what its original still owes (principal and late fee).
    Idempotent (reference ``reversal:<id>``); the billing run's reversal calls it in its own
    transaction, and the daily job sweeps any it missed."""
    reversal = uow.session.scalars(select(Bill).where(Bill.id == reversal_bill_id)).first()
    if reversal is None:
        raise NotFoundError(BILL_NOT_FOUND)
    if reversal.kind != BillKind.REVERSAL or reversal.reverses_bill_id is None:
        raise ValidationProblem("不是冲正账单 / not a reversal bill", field="bill_id")
    original = uow.session.scalars(
        select(Bill).where(Bill.id == reversal.reverses_bill_id).with_for_update()
    ).first()
    if original is None:
        raise NotFoundError(BILL_NOT_FOUND)
    reference = f"reversal:{reversal.id}"
    posting = _posted(uow, reference)
    if posting is not None:
        return _replay(posting, uow)
    balance = balances(uow.session, [original.id])[original.id]
    owed = max(balance.outstanding_fen, 0)
    return _post(
        uow,
        reference=reference,
        kind=WriteOffKind.REVERSAL,
        amount=yuan(owed) if owed else -reversal.amount,
        account_id=original.account_id,
        org_unit_id=original.org_unit_id,
        bills=[original],
        bill_id=original.id,
        suffix_per_bill=False,
    )


def _replay_of(uow: UnitOfWork, reference: str) -> WriteOffResult | None:
    posting = _posted(uow, reference)
    return None if posting is None else _replay(posting, uow)


def do_write_off(
    uow: UnitOfWork,
    bill_id: int,
    amount: Decimal,
    reference: str,
    kind: WriteOffKind = WriteOffKind.PAYMENT,
) -> WriteOffResult:
    return run_once(
        uow,
        lambda: apply_write_off(uow, bill_id, amount, reference, kind),
        lambda: _replay_of(uow, reference),
    )


def do_write_off_oldest_first(
    uow: UnitOfWork, account_id: int, amount: Decimal, reference: str
) -> WriteOffResult:
    return run_once(
        uow,
        lambda: apply_write_off_oldest_first(uow, account_id, amount, reference),
        lambda: _replay_of(uow, reference),
    )


def do_apply_reversal(uow: UnitOfWork, reversal_bill_id: int) -> WriteOffResult:
    return run_once(
        uow,
        lambda: apply_reversal(uow, reversal_bill_id),
        lambda: _replay_of(uow, f"reversal:{reversal_bill_id}"),
    )
