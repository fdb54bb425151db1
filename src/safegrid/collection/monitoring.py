"""Collection monitoring (BILL-5): billed / collected / written off / outstanding by org
unit and rolled up the tree, computed live from the write-offs on every request.

Two set-based statements: the bills of the period aggregated per owning unit, then those
aggregates joined to every ancestor unit by materialised path (a unit's row is its
subtree's total). Both are ORM selects, so the caller's scope cuts both the bills and the
ancestors: a county sees its county and stations, never the province's total.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from safegrid.billing.models import Bill, BillKind
from safegrid.collection.balances import (
    accrued_per_bill,
    day_start,
    fee_fen,
    fen,
    written_per_bill,
    yuan,
)
from safegrid.collection.schemas import KeyAccount, SummaryOut, UnitSummary
from safegrid.collection.settings import get_collection_settings
from safegrid.customers.models import Account, Customer
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.uow import UnitOfWork

KEY_ACCOUNTS_SHOWN = 50


def _bill_filter(period: str | None, date_from: date | None, date_to: date | None) -> list[Any]:
    if period is None and date_from is None and date_to is None:
        raise ValidationProblem(
            "请指定账期或日期范围 / give a period or a date range", field="period"
        )
    if period is not None and (date_from or date_to):
        raise ValidationProblem(
            "账期与日期范围只能选一 / give a period or a date range, not both", field="period"
        )
    if period is not None:
        return [Bill.period == period]
    if date_from and date_to and date_from > date_to:
        raise ValidationProblem(
            "起始日期晚于结束日期 / date_from is after date_to", field="date_from"
        )
    where = []
    if date_from:
        where.append(Bill.issued_at >= day_start(date_from))
    if date_to:
        where.append(Bill.issued_at < day_start(date_to + timedelta(days=1)))
    return where


def default_period() -> str:
    """Last month: the period whose bills are being collected now."""
    first = clock.business_day().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


def _rate(written: int, billed: int) -> Decimal | None:
    if billed <= 0:
        return None
    return (Decimal(written) * 100 / Decimal(billed)).quantize(Decimal("0.01"))


def summary(
    uow: UnitOfWork,
    period: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> SummaryOut:
    if period is None and date_from is None and date_to is None:
        period = default_period()
    where = _bill_filter(period, date_from, date_to)
    threshold = get_collection_settings().large_customer_monthly_amount
    # Only the report's bills' write-offs and fees are summed (issue 13: ≤ 1 s at province).
    of_report = select(Bill.id).where(Bill.kind == BillKind.NORMAL, *where)
    with uow:
        session = uow.session
        w = written_per_bill(bills=of_report)
        a = accrued_per_bill(bills=of_report)
        principal_written = func.coalesce(w.c.written_fen, 0) - func.coalesce(w.c.fee_paid_fen, 0)
        per_unit = (
            select(
                Bill.org_unit_id.label("unit_id"),
                func.count(Bill.id).label("bills"),
                func.sum(fen(Bill.amount)).label("billed"),
                func.sum(func.coalesce(w.c.collected_fen, 0)).label("collected"),
                func.sum(principal_written).label("written"),
                func.sum(fee_fen(func.coalesce(a.c.fee_e8, 0))).label("fees"),
                func.sum(func.coalesce(w.c.fee_paid_fen, 0)).label("fees_paid"),
            )
            .outerjoin(w, w.c.bill_id == Bill.id)
            .outerjoin(a, a.c.bill_id == Bill.id)
            .where(Bill.kind == BillKind.NORMAL, *where)
            .group_by(Bill.org_unit_id)
            .subquery("per_unit")
        )
        leaf, anc = aliased(OrgUnit), aliased(OrgUnit)
        measures = ("bills", "billed", "collected", "written", "fees", "fees_paid")
        rollup = (
            select(anc.id, *(func.sum(per_unit.c[m]) for m in measures))
            .select_from(per_unit)
            .join(leaf, leaf.id == per_unit.c.unit_id)
            .join(anc, leaf.path.startswith(anc.path))
            .group_by(anc.id)
        )
        totals = {row[0]: [int(v or 0) for v in row[1:]] for row in session.execute(rollup).all()}
        units = session.scalars(select(OrgUnit).order_by(OrgUnit.path)).all()
        base = min((u.path.count("/") for u in units), default=2)
        rows = []
        for u in units:
            bills, billed, collected, written, fees, fees_paid = totals.get(u.id, [0] * 6)
            rows.append(
                UnitSummary(
                    unit_id=u.id,
                    name=u.name,
                    name_en=u.name_en,
                    kind=u.kind.value,
                    depth=u.path.count("/") - base,
                    bills=bills,
                    billed=yuan(billed),
                    collected=yuan(collected),
                    written_off=yuan(written),
                    outstanding=yuan(billed - written),
                    late_fees=yuan(fees),
                    late_fees_outstanding=yuan(fees - fees_paid),
                    collection_rate=_rate(written, billed),
                )
            )
        return SummaryOut(
            period=period,
            date_from=date_from,
            date_to=date_to,
            computed_at=clock.now(),
            large_threshold=threshold,
            units=rows,
            key_accounts=_key_accounts(session, where, threshold, of_report),
        )


def _key_accounts(
    session: Any, where: list[Any], threshold: Decimal, of_report: Any
) -> list[KeyAccount]:
    """Key customers (archive flag) and large ones (a bill ≥ the configured monthly amount)."""
    w = written_per_bill(bills=of_report)
    principal_written = func.coalesce(w.c.written_fen, 0) - func.coalesce(w.c.fee_paid_fen, 0)
    per_account = (
        select(
            Bill.account_id.label("account_id"),
            func.sum(fen(Bill.amount)).label("billed"),
            func.sum(fen(Bill.amount) - principal_written).label("outstanding"),
            func.max(fen(Bill.amount)).label("largest"),
        )
        .outerjoin(w, w.c.bill_id == Bill.id)
        .where(Bill.kind == BillKind.NORMAL, *where)
        .group_by(Bill.account_id)
        .subquery("per_account")
    )
    threshold_fen = int(threshold * 100)
    stmt = (
        select(
            Account.id,
            Account.number,
            Customer.name,
            Customer.is_key_customer,
            per_account.c.billed,
            per_account.c.outstanding,
            per_account.c.largest,
            Account.org_unit_id,
        )
        .join(per_account, per_account.c.account_id == Account.id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(or_(Customer.is_key_customer.is_(True), per_account.c.largest >= threshold_fen))
        .order_by(per_account.c.outstanding.desc(), Account.id)
        .limit(KEY_ACCOUNTS_SHOWN)
    )
    return [
        KeyAccount(
            account_id=acc_id,
            account_number=number,
            customer_name=name,
            is_key_customer=bool(is_key),
            large=int(largest or 0) >= threshold_fen,
            billed=yuan(billed),
            outstanding=yuan(outstanding),
            org_unit_id=unit_id,
        )
        for acc_id, number, name, is_key, billed, outstanding, largest, unit_id in session.execute(
            stmt
        ).all()
    ]
