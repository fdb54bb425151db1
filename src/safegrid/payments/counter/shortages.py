"""长短款 (PAY-2, issue 13): when the cash a checker counts for a receipt differs from the
receipt, the checker records the difference instead of being stopped: the receipt is
confirmed for its own amount (what the customer paid), and a :class:`CashDiscrepancy`
keeps counted − receipt (negative: a shortage 短款, positive: an overage 长款) against the
cashier, who acknowledges it. The day's differences are shown on the settlement."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.payments.counter.events import CashDiscrepancyAcknowledged, CashDiscrepancyRecorded
from safegrid.payments.counter.models import CounterReceipt
from safegrid.platform import clock
from safegrid.platform.db import Base, UTCDateTime
from safegrid.platform.errors import ConflictError, NotFoundError, PermissionDeniedError
from safegrid.platform.money import Money
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot


class CashDiscrepancy(OrgScoped, Base):
    """One receipt's cash difference, found by its checker; the cashier acknowledges it."""

    __tablename__ = "counter_cash_discrepancies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("counter_receipts.id"), unique=True)
    receipt_no: Mapped[str] = mapped_column(String(64))
    business_day: Mapped[date] = mapped_column(Date, index=True)
    expected: Mapped[Decimal] = mapped_column(Money)
    counted: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)  # counted − expected
    cashier_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    cashier_name: Mapped[str] = mapped_column(String(64))
    checker_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    checker_name: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    acknowledged_note: Mapped[str | None] = mapped_column(String(200), default=None)


@dataclasses.dataclass(frozen=True)
class Discrepancy:
    id: int
    receipt_id: int
    receipt_no: str
    business_day: date
    expected: Decimal
    counted: Decimal
    amount: Decimal
    cashier_id: int
    cashier_name: str
    checker_name: str
    acknowledged_at: datetime | None
    hall_id: int

    @property
    def kind(self) -> str:
        return "shortage" if self.amount < 0 else "overage"


def _out(d: CashDiscrepancy) -> Discrepancy:
    return Discrepancy(
        d.id,
        d.receipt_id,
        d.receipt_no,
        d.business_day,
        d.expected,
        d.counted,
        d.amount,
        d.cashier_id,
        d.cashier_name,
        d.checker_name,
        d.acknowledged_at,
        d.org_unit_id,
    )


def record(uow: UnitOfWork, receipt: CounterReceipt, counted: Decimal) -> None:
    """The checker's count of ``receipt`` differs: keep it (inside the confirm's unit of
    work; the receipt row is locked there, so one receipt has one difference)."""
    actor = uow.actor
    assert actor.account_id is not None
    row = CashDiscrepancy(
        receipt_id=receipt.id,
        receipt_no=receipt.receipt_no,
        business_day=receipt.business_day,
        expected=receipt.amount,
        counted=counted,
        amount=counted - receipt.amount,
        cashier_id=receipt.cashier_id,
        cashier_name=receipt.cashier_name,
        checker_id=actor.account_id,
        checker_name=actor.username,
        recorded_at=clock.now(),
        org_unit_id=receipt.org_unit_id,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        "counter.cash_discrepancy",
        object_type="counter_cash_discrepancy",
        object_id=row.id,
        org_unit_id=row.org_unit_id,
        after=snapshot(row),
    )
    uow.emit(
        CashDiscrepancyRecorded(
            row.id, receipt.id, receipt.receipt_no, str(row.amount), receipt.cashier_id
        )
    )


def do_acknowledge(uow: UnitOfWork, discrepancy_id: int, note: str = "") -> Discrepancy:
    """The cashier signs his receipt's cash difference."""
    with uow:
        row = uow.session.scalars(
            select(CashDiscrepancy).where(CashDiscrepancy.id == discrepancy_id).with_for_update()
        ).first()
        if row is None:
            raise NotFoundError("长短款记录不存在 / no such cash difference")
        if uow.actor.account_id != row.cashier_id:
            raise PermissionDeniedError(
                "只有收款员本人可以确认长短款 / only the cashier of the receipt acknowledges it"
            )
        if row.acknowledged_at is not None:
            raise ConflictError(
                "该长短款已确认 / this cash difference is already acknowledged",
                field="discrepancy",
            )
        before = snapshot(row)
        row.acknowledged_at = clock.now()
        row.acknowledged_note = note.strip() or None
        uow.audit(
            "counter.cash_discrepancy_acknowledged",
            object_type="counter_cash_discrepancy",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
            before=before,
            after=snapshot(row),
            note=row.acknowledged_note,
        )
        uow.emit(CashDiscrepancyAcknowledged(row.id, row.receipt_id, row.cashier_id))
        out = _out(row)
        uow.commit()
        return out


def listed(
    uow: UnitOfWork,
    *,
    day: date | None = None,
    cashier_id: int | None = None,
    open_only: bool = False,
) -> list[Discrepancy]:
    """Cash differences in the caller's scope, newest first."""
    stmt = select(CashDiscrepancy).order_by(CashDiscrepancy.id.desc()).limit(500)
    if day is not None:
        stmt = stmt.where(CashDiscrepancy.business_day == day)
    if cashier_id is not None:
        stmt = stmt.where(CashDiscrepancy.cashier_id == cashier_id)
    if open_only:
        stmt = stmt.where(CashDiscrepancy.acknowledged_at.is_(None))
    with uow:
        return [_out(d) for d in uow.session.scalars(stmt)]
