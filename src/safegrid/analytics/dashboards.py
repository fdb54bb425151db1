"""What the analytics console pages show (ANA-5), read through the caller's scoped unit of
work: the arrears-risk list of new bills, each unit's theft suspects with the reason in
words, and a region's forecast set beside what was then read. Every score row names the
model version that produced it."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from safegrid.analytics.arrears.services import HIGH_RISK
from safegrid.analytics.models import AnalyticsModel, ArrearsScore, TariffAdvice, TheftScore
from safegrid.analytics.regional import LOOKBACK, daily_load, fit_region
from safegrid.billing.models import Bill
from safegrid.collection.models import (
    InstalmentPlan,
    PlanStatus,
    WriteOff,
    WriteOffKind,
)
from safegrid.customers.models import Account, Meter
from safegrid.fieldwork.models import WorkOrder
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork

ROWS = 100


def principal_paid(bill: Any = Bill) -> Any:
    """The principal written off a bill so far (an unwind takes a payment back)."""
    sign = case((WriteOff.kind == WriteOffKind.UNWIND, -1), else_=1)
    return (
        select(func.coalesce(func.sum((WriteOff.amount - WriteOff.late_fee_part) * sign), 0))
        .where(WriteOff.bill_id == bill.id)
        .scalar_subquery()
    )


def no_active_plan(bill: Any = Bill) -> Any:
    return ~(
        select(InstalmentPlan.id)
        .where(
            InstalmentPlan.account_id == bill.account_id,
            InstalmentPlan.status == PlanStatus.ACTIVE,
        )
        .exists()
    )


def to_offer_a_plan(day: date) -> list[Any]:
    """Conditions on ArrearsScore: high-risk bills past their due date, still owing
    principal, of accounts without an active instalment plan — whom a collector should
    call with an instalment offer."""
    # Its own alias of the bill: a page that joins the bill itself must not correlate it.
    b = aliased(Bill)
    overdue = (
        select(b.id)
        .where(b.id == ArrearsScore.bill_id, b.due_date < day)
        .where(principal_paid(b) < b.amount, no_active_plan(b))
        .exists()
    )
    return [ArrearsScore.score >= HIGH_RISK, overdue]


@dataclasses.dataclass(frozen=True)
class RiskRow:
    score_id: int
    bill_id: int
    account_number: str
    unit: OrgUnit
    period: str
    amount: Decimal
    owed: Decimal
    due_date: date
    score: float
    reason: str
    model_version: str
    reminded: bool
    to_offer_plan: bool


@dataclasses.dataclass(frozen=True)
class RiskPage:
    period: str | None
    periods: list[str]
    rows: list[RiskRow]
    high_risk: float


def arrears_risk(uow: UnitOfWork, period: str | None, offer_only: bool = False) -> RiskPage:
    """The riskiest scored bills of ``period`` (default: the newest scored period)."""
    day = clock.business_day()
    with uow:
        s = uow.session
        periods = list(
            s.scalars(
                select(ArrearsScore.period)
                .group_by(ArrearsScore.period)
                .order_by(ArrearsScore.period.desc())
                .limit(24)
            )
        )
        period = period or (periods[0] if periods else None)
        paid = principal_paid()
        offer = and_(*to_offer_a_plan(day))
        stmt = (
            select(ArrearsScore, Bill, Account.number, OrgUnit, AnalyticsModel.version, paid, offer)
            .join(Bill, Bill.id == ArrearsScore.bill_id)
            .join(Account, Account.id == ArrearsScore.account_id)
            .join(OrgUnit, OrgUnit.id == ArrearsScore.org_unit_id)
            .join(AnalyticsModel, AnalyticsModel.id == ArrearsScore.model_id)
            .order_by(ArrearsScore.score.desc(), ArrearsScore.id)
            .limit(ROWS)
        )
        if offer_only:
            stmt = stmt.where(offer)
        elif period:
            stmt = stmt.where(ArrearsScore.period == period)
        rows = [
            RiskRow(
                score_id=a.id,
                bill_id=b.id,
                account_number=number,
                unit=unit,
                period=a.period,
                amount=b.amount,
                owed=max(b.amount - Decimal(str(p)), Decimal("0.00")),
                due_date=b.due_date,
                score=a.score,
                reason=a.reason,
                model_version=version,
                reminded=a.reminder_id is not None,
                to_offer_plan=bool(o),
            )
            for a, b, number, unit, version, p, o in s.execute(stmt).all()
        ]
        return RiskPage(None if offer_only else period, periods, rows, HIGH_RISK)


@dataclasses.dataclass(frozen=True)
class SuspectRow:
    score_id: int
    meter_asset_no: str
    score: float
    unit_rank: int
    reason: str
    model_version: str
    work_order: str | None
    result: str | None


@dataclasses.dataclass(frozen=True)
class TheftPage:
    period: str | None
    periods: list[str]
    units: list[tuple[OrgUnit, list[SuspectRow]]]


def theft_suspects(uow: UnitOfWork, period: str | None, top: int = 5) -> TheftPage:
    """Each unit's ``top`` suspects of ``period`` (default: the newest scored period)."""
    with uow:
        s = uow.session
        periods = list(
            s.scalars(
                select(TheftScore.period)
                .group_by(TheftScore.period)
                .order_by(TheftScore.period.desc())
                .limit(24)
            )
        )
        period = period or (periods[0] if periods else None)
        rows = s.execute(
            select(TheftScore, Meter.asset_no, OrgUnit, AnalyticsModel.version, WorkOrder.number)
            .join(Meter, Meter.id == TheftScore.meter_id)
            .join(OrgUnit, OrgUnit.id == TheftScore.org_unit_id)
            .join(AnalyticsModel, AnalyticsModel.id == TheftScore.model_id)
            .outerjoin(WorkOrder, WorkOrder.id == TheftScore.work_order_id)
            .where(TheftScore.period == period, TheftScore.unit_rank <= top)
            .order_by(OrgUnit.path, TheftScore.unit_rank)
        ).all()
        units: dict[int, tuple[OrgUnit, list[SuspectRow]]] = {}
        for t, asset_no, unit, version, order in rows:
            units.setdefault(unit.id, (unit, []))[1].append(
                SuspectRow(
                    score_id=t.id,
                    meter_asset_no=asset_no,
                    score=t.score,
                    unit_rank=t.unit_rank,
                    reason=t.reason,
                    model_version=version,
                    work_order=order,
                    result=t.result.value if t.result else None,
                )
            )
        return TheftPage(period, periods, list(units.values()))


@dataclasses.dataclass(frozen=True)
class ForecastCheck:
    """The forecast made ``days`` before the last reading, beside what was then read."""

    days: list[date]
    history: list[float]  # the LOOKBACK days the forecast started from
    history_days: list[date]
    forecast: list[float]
    actual: list[float]
    mape: float | None  # mean absolute percentage error over the checked days


def forecast_vs_actual(uow: UnitOfWork, org_unit_id: int | None, days: int) -> ForecastCheck | None:
    """None when the region has too little history to fit and check a forecast."""
    with uow:
        load = daily_load(uow, org_unit_id)
    if len(load) < LOOKBACK + 2 * days + 28:
        return None
    series = np.array([kwh for _, kwh in load])[:, None]
    past = series[:-days]
    model, _ = fit_region(past, days)
    forecast = model.predict(past[-LOOKBACK:, 0][None, :])[0]
    actual = series[-days:, 0]
    nonzero = actual > 0
    mape = (
        float(np.mean(np.abs(forecast[nonzero] - actual[nonzero]) / actual[nonzero]) * 100)
        if nonzero.any()
        else None
    )
    first = len(load) - days
    return ForecastCheck(
        days=[d for d, _ in load[first:]],
        history=[round(v, 2) for _, v in load[first - LOOKBACK : first]],
        history_days=[d for d, _ in load[first - LOOKBACK : first]],
        forecast=[round(float(v), 2) for v in forecast],
        actual=[round(float(v), 2) for v in actual],
        mape=mape,
    )


def units_in_scope(uow: UnitOfWork) -> list[OrgUnit]:
    """The caller's units above station level, for choosing a region."""
    with uow:
        return list(
            uow.session.scalars(
                select(OrgUnit).where(OrgUnit.kind.in_(("province", "city", "county")))
                .order_by(OrgUnit.path)
            )
        )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class AdviceRow:
    account_number: str
    unit: OrgUnit
    period: str
    current_code: str
    advised_name: str  # "中文 / English"
    current_cost: Decimal
    advised_cost: Decimal
    saving: Decimal
    texted: bool


def tariff_advice(uow: UnitOfWork, account_number: str | None) -> list[AdviceRow]:
    """The newest advice first, largest saving first; one account's when a hall agent asks
    about the customer in front of him."""
    with uow:
        stmt = (
            select(TariffAdvice, Account.number, OrgUnit)
            .join(Account, Account.id == TariffAdvice.account_id)
            .join(OrgUnit, OrgUnit.id == TariffAdvice.org_unit_id)
            .order_by(TariffAdvice.period.desc(), TariffAdvice.saving.desc(), TariffAdvice.id)
            .limit(ROWS)
        )
        if account_number:
            stmt = stmt.where(Account.number == account_number)
        return [
            AdviceRow(
                account_number=number,
                unit=unit,
                period=t.period,
                current_code=t.current_code,
                advised_name=t.advised_name,
                current_cost=t.current_cost,
                advised_cost=t.advised_cost,
                saving=t.saving,
                texted=t.notification_id is not None,
            )
            for t, number, unit in uow.session.execute(stmt).all()
        ]
