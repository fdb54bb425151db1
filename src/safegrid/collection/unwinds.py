"""Taking back a payment's write-offs (撤销销账) when the payment is voided or refunded.

Write-offs are never edited or deleted (and ``amount > 0`` is a CHECK): an unwind is a new
``WriteOff`` row of kind ``unwind`` pointing at the payment write-off it takes back, which
every balance counts negative (``balances.written_per_bill``), so bill balances, the
monitoring summary and late-fee accrual all see the bill owed again.

Newest write-off first, and within one the late-fee part first (the reverse of how the
payment was applied). ``unwind_reference`` is the idempotency key, a unique posting
reference like the write-off's own. Works inside the caller's unit of work.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlalchemy import func, select

from safegrid.billing.models import Bill
from safegrid.collection.balances import HUNDRED, refresh_open, yuan
from safegrid.collection.events import BillWriteOffUnwound
from safegrid.collection.models import CollectionPosting, WriteOff, WriteOffKind
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped


@dataclasses.dataclass(frozen=True)
class UnwindResult:
    reference: str
    unwound: Decimal
    replayed: bool
    bill_ids: list[int]


def _fen(amount: Decimal) -> int:
    return int((amount * HUNDRED).to_integral_value())


def remaining(uow: UnitOfWork, reference: str) -> Decimal:
    """What of posting ``reference`` is still written off (after earlier unwinds)."""
    posting = _posting(uow, reference)
    if posting is None:
        return Decimal("0.00")
    return yuan(sum(left for left, _ in _left(uow, posting).values()))


def _posting(uow: UnitOfWork, reference: str) -> CollectionPosting | None:
    return uow.session.scalars(
        select(CollectionPosting).where(CollectionPosting.reference == reference),
        execution_options=unscoped("posting references are unique utility-wide"),
    ).first()


def _left(uow: UnitOfWork, posting: CollectionPosting) -> dict[int, tuple[int, int]]:
    """Per write-off of ``posting`` (oldest first): fen still written off, of which fee."""
    originals = uow.session.scalars(
        select(WriteOff).where(WriteOff.posting_id == posting.id).order_by(WriteOff.id),
        execution_options=unscoped("a payment's write-offs may hit other units' bills"),
    ).all()
    taken = {
        int(wid): (int(a or 0), int(f or 0))
        for wid, a, f in uow.session.execute(
            select(
                WriteOff.unwinds_id,
                func.sum(func.round(WriteOff.amount * 100)),
                func.sum(func.round(WriteOff.late_fee_part * 100)),
            )
            .where(WriteOff.unwinds_id.in_([w.id for w in originals]))
            .group_by(WriteOff.unwinds_id),
            execution_options=unscoped("earlier unwinds of a payment's write-offs"),
        ).all()
    }
    out: dict[int, tuple[int, int]] = {}
    for w in originals:
        took, took_fee = taken.get(w.id, (0, 0))
        out[w.id] = (_fen(w.amount) - took, _fen(w.late_fee_part) - took_fee)
    return out


def unwind_posting(
    uow: UnitOfWork, reference: str, amount: Decimal, unwind_reference: str
) -> UnwindResult:
    """Take back exactly ``amount`` of payment posting ``reference``'s write-offs."""
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationProblem("金额必须大于零 / amount must be greater than 0", field="amount")
    done = _posting(uow, unwind_reference)
    if done is not None:
        return UnwindResult(unwind_reference, done.applied, True, [])
    posting = _posting(uow, reference)
    if posting is None:
        raise NotFoundError("销账记录不存在 / write-off posting not found")
    if posting.kind != WriteOffKind.PAYMENT:
        raise ValidationProblem(
            "只能撤销缴费销账 / only payment write-offs can be taken back", field="reference"
        )
    rows = {
        w.id: w
        for w in uow.session.scalars(
            select(WriteOff).where(WriteOff.posting_id == posting.id),
            execution_options=unscoped("a payment's write-offs may hit other units' bills"),
        ).all()
    }
    # Bills are locked in primary-key order, as the write-off service does.
    uow.session.scalars(
        select(Bill.id)
        .where(Bill.id.in_(sorted({w.bill_id for w in rows.values()})))
        .order_by(Bill.id)
        .with_for_update(),
        execution_options=unscoped("locking a payment's bills in every unit it paid"),
    ).all()
    left = _left(uow, posting)
    budget = _fen(amount)
    if budget > sum(a for a, _ in left.values()):
        raise ConflictError(
            "撤销金额超过已销账金额 / more than is written off cannot be taken back",
            field="amount",
        )
    now = clock.now()
    unwind = CollectionPosting(
        reference=unwind_reference,
        kind=WriteOffKind.UNWIND,
        bill_id=None,
        account_id=posting.account_id,
        requested=amount,
        applied=amount,
        remainder=Decimal("0.00"),
        posted_at=now,
        posted_by=uow.actor.username,
        org_unit_id=posting.org_unit_id,
    )
    uow.session.add(unwind)
    uow.session.flush()
    touched: list[int] = []
    for wid in sorted(left, reverse=True):  # newest first
        left_fen, left_fee = left[wid]
        take = min(budget, left_fen)
        if take <= 0:
            continue
        fee = min(take, left_fee)
        original = rows[wid]
        uow.session.add(
            WriteOff(
                posting_id=unwind.id,
                bill_id=original.bill_id,
                reference=f"{unwind_reference}#{wid}",
                kind=WriteOffKind.UNWIND,
                amount=yuan(take),
                late_fee_part=yuan(fee),
                written_at=now,
                written_by=uow.actor.username,
                org_unit_id=original.org_unit_id,
                unwinds_id=wid,
            )
        )
        uow.emit(
            BillWriteOffUnwound(
                reference=unwind_reference,
                bill_id=original.bill_id,
                account_id=posting.account_id,
                unwinds_id=wid,
                amount=str(yuan(take)),
                late_fee_part=str(yuan(fee)),
                org_unit_id=original.org_unit_id,
            )
        )
        touched.append(original.bill_id)
        budget -= take
        if budget == 0:
            break
    refresh_open(uow.session, touched)  # what was settled is owed again
    uow.audit(
        "collection.write_off_unwound",
        object_type="collection_posting",
        object_id=unwind.id,
        org_unit_id=posting.org_unit_id,
        after={
            "reference": unwind_reference,
            "of": reference,
            "amount": str(amount),
            "bills": touched,
        },
    )
    return UnwindResult(unwind_reference, amount, False, touched)
