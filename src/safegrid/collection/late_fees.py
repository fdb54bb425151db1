"""违约金: the daily late-fee accrual (BILL-6).

For day D every bill past its due date (D > due date, i.e. from the day after it) accrues
principal-unpaid-at-the-start-of-D × the daily rate of its tariff category in force on D.
Accruals are exact (fen × millionths) and unique per bill and day, so running the job
twice for a day adds nothing; a bill's late fee is their sum rounded once, half-up.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Date, Table, case, func, insert, literal, select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection.balances import (
    PlanOverdue,
    day_start,
    fen,
    plan_overdue,
    written_per_bill,
)
from safegrid.collection.events import LateFeesAccrued
from safegrid.collection.models import LateFeeAccrual, LateFeeRate
from safegrid.collection.schemas import JobResult
from safegrid.collection.settings import rate_e6, rates_on
from safegrid.customers.models import Account
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.money import to_fen
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.masking import snapshot

ACCRUALS: Table = LateFeeAccrual.__table__  # type: ignore[assignment]
COLUMNS = ["bill_id", "day", "principal_fen", "rate_e6", "fee_e8", "org_unit_id"]


def _own_subtree(actor: Actor) -> list[ColumnElement[bool]]:
    """INSERT … SELECT is not an ORM select, so the session's scope hook does not see the
    inner query; restrict it explicitly to the actor's subtree (ORG-2)."""
    path = actor.scope.org_path
    if path is None:
        return []
    return [Bill.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(path)))]


def do_accrue_late_fees(uow: UnitOfWork, day: date | None = None) -> JobResult:
    day = day or clock.business_day()
    if day > clock.business_day():
        raise ValidationProblem("不能为未来日期计提 / cannot accrue for a future day", field="day")
    with uow:
        session = uow.session
        rates, default_rate = rates_on(session, day)
        cutoff = day_start(day)
        rate = case(rates, value=Account.tariff_category, else_=default_rate)
        w = written_per_bill(cutoff)
        principal = fen(Bill.amount) - (
            func.coalesce(w.c.written_fen, 0) - func.coalesce(w.c.fee_paid_fen, 0)
        )
        already = (
            select(LateFeeAccrual.id)
            .where(LateFeeAccrual.bill_id == Bill.id, LateFeeAccrual.day == day)
            .exists()
        )
        plan_bills, plan_due = plan_overdue(session, day, cutoff)
        source = (
            select(
                Bill.id,
                literal(day, Date),
                principal,
                rate,
                principal * rate,
                Bill.org_unit_id,
            )
            .join(Account, Account.id == Bill.account_id)
            .outerjoin(w, w.c.bill_id == Bill.id)
            .where(
                Bill.kind == BillKind.NORMAL,
                Bill.status == BillStatus.ISSUED,
                Bill.due_date < day,
                principal > 0,
                ~already,
                *_own_subtree(uow.actor),
            )
        )
        if plan_bills:
            source = source.where(Bill.id.not_in(sorted(plan_bills)))
        # A Core INSERT … SELECT (one statement, reports its row count on every backend).
        result = session.execute(
            insert(ACCRUALS).from_select(COLUMNS, source),
            execution_options={"preserve_rowcount": True},  # else -1 on psycopg
        )
        inserted = max(int(getattr(result, "rowcount", 0) or 0), 0)
        inserted += _accrue_plan_bills(uow, day, rates, default_rate, plan_due)
        total_e8 = int(
            session.scalar(select(func.sum(LateFeeAccrual.fee_e8)).where(LateFeeAccrual.day == day))
            or 0
        )
        amount = to_fen(Decimal(total_e8) / Decimal(100_000_000))
        if inserted:
            uow.audit(
                "arrears.accrue_late_fees",
                object_type="late_fee_accrual",
                object_id=day.isoformat(),
                after={"day": day.isoformat(), "bills": inserted, "amount": str(amount)},
            )
            uow.emit(LateFeesAccrued(day, inserted, str(amount)))
            uow.commit()
        return JobResult(day=day, rows=inserted, amount=amount)


def _accrue_plan_bills(
    uow: UnitOfWork,
    day: date,
    rates: dict[str, int],
    default_rate: int,
    plan_due: dict[int, PlanOverdue],
) -> int:
    """Bills under a plan accrue only on their share of the overdue instalments."""
    if not plan_due:
        return 0
    session = uow.session
    rows = session.execute(
        select(Bill.id, Bill.org_unit_id, Account.tariff_category)
        .join(Account, Account.id == Bill.account_id)
        .where(Bill.id.in_(sorted(plan_due)))
    ).all()
    done = set(
        session.scalars(
            select(LateFeeAccrual.bill_id).where(
                LateFeeAccrual.day == day, LateFeeAccrual.bill_id.in_(sorted(plan_due))
            )
        ).all()
    )
    values = []
    for bill_id, unit_id, category in rows:
        if bill_id in done:
            continue
        r = rates.get(category, default_rate)
        p = plan_due[bill_id].principal_fen
        values.append(
            {
                "bill_id": bill_id,
                "day": day,
                "principal_fen": p,
                "rate_e6": r,
                "fee_e8": p * r,
                "org_unit_id": unit_id,
            }
        )
    if values:
        session.execute(insert(LateFeeAccrual), values)
    return len(values)


def do_set_late_fee_rate(
    uow: UnitOfWork, tariff_category: str, rate_per_day: Decimal, effective_from: date
) -> int:
    """A new version of a category's daily rate (configuration, audited)."""
    try:
        rate_e6(rate_per_day)
    except ValueError as exc:
        raise ValidationProblem(str(exc), field="rate_per_day") from None
    if rate_per_day <= 0:
        raise ValidationProblem("费率须大于零 / rate must be greater than 0", field="rate_per_day")
    with uow:
        clash = uow.session.scalar(
            select(LateFeeRate.id).where(
                LateFeeRate.tariff_category == tariff_category,
                LateFeeRate.effective_from == effective_from,
            )
        )
        if clash is not None:
            raise ValidationProblem(
                "该日已有此类别的费率版本 / a version for this category and date exists",
                field="effective_from",
            )
        row = LateFeeRate(
            tariff_category=tariff_category,
            rate_per_day=rate_per_day,
            effective_from=effective_from,
            created_by=uow.actor.username,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.audit(
            "arrears.late_fee_rate_set",
            object_type="late_fee_rate",
            object_id=row.id,
            after=snapshot(row),
        )
        uow.commit()
        return row.id
