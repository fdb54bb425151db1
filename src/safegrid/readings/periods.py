"""Closing a reading period (BILL-2 → BILL-4): the month's usage of every meter in the
closer's scope is frozen into ``monthly_usage``, which is all a bill run reads.

Set-based, three INSERT … SELECT statements, in order of trust:
1. meters with daily readings that month: their sum (AMI, multiplier already applied);
2. the others with register reads that month: the sum of the reads' energy;
3. the rest (installed by the month's end, still active): estimated as the average of
   their last three months, flagged ``estimated`` — zero when there is no history.
Each step skips meters that already have a row, so closing is idempotent and a city may
close after one of its counties did. INSERT … SELECT is not an ORM query, so the row
scope is not added by the session: these statements restrict to the closer's subtree
themselves (``_in_scope``).

Who: ``readings.close`` (department heads). What: the caller's subtree. A close by the
root unit (or the platform) closes the period for the whole utility
(``reading_periods.status``); a close lower down is recorded in
``reading_period_closures`` and blocks new readings in that subtree only.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, case, exists, false, func, insert, literal, select

from safegrid.customers.models import Meter, RecordStatus, SupplyPoint
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.context import month_of_period, period_of_month
from safegrid.readings.events import PeriodClosed
from safegrid.readings.models import (
    DailyReading,
    MonthlyUsage,
    PeriodClosure,
    PeriodStatus,
    ReadingPeriod,
    RegisterRead,
)
from safegrid.readings.schemas import PERIOD_PATTERN, CloseSummary

ESTIMATE_MONTHS: Final = 3
_CENT = Decimal("0.01")
_COLUMNS: Final = (
    "meter_id",
    "account_id",
    "period",
    "kwh",
    "peak_kwh",
    "valley_kwh",
    "estimated",
    "source",
    "org_unit_id",
)


def month_bounds(period: str) -> tuple[date, date]:
    """First day of the month and first day of the next."""
    if not re.fullmatch(PERIOD_PATTERN, period or ""):
        raise ValidationProblem(
            f"抄表期格式应为 YYYY-MM / period must be YYYY-MM: {period!r}", field="period"
        )
    year, month = int(period[:4]), int(period[5:7])
    first = date(year, month, 1)
    return first, first + timedelta(days=calendar.monthrange(year, month)[1])


def _scope_path(uow: UnitOfWork) -> str | None:
    return uow.actor.scope.org_path


def _in_scope(path: str | None) -> list[ColumnElement[bool]]:
    if path is None:
        return []
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(path))
    return [Meter.org_unit_id.in_(subtree)]


def is_period_closed(uow: UnitOfWork, period: str) -> bool:
    """Closed for everything the caller can see: utility-wide, or for a unit whose
    subtree contains the caller's scope. (Call inside ``with uow``.)"""
    status = uow.session.scalar(select(ReadingPeriod.status).where(ReadingPeriod.period == period))
    if status == PeriodStatus.CLOSED:
        return True
    path = _scope_path(uow)
    if path is None:
        return False
    paths = uow.session.scalars(
        select(PeriodClosure.org_path).where(PeriodClosure.period == period)
    )
    return any(path.startswith(p) for p in paths)


def _not_yet(meter_id: Any, period: str) -> ColumnElement[bool]:
    return ~exists().where(MonthlyUsage.meter_id == meter_id, MonthlyUsage.period == period)


def _from_daily(uow: UnitOfWork, period: str, first: date, after: date, path: str | None) -> int:
    peak = func.coalesce(func.sum(DailyReading.peak_kwh), 0)
    stmt = (
        select(
            Meter.id,
            SupplyPoint.account_id,
            literal(period),
            func.sum(DailyReading.kwh),
            case((Meter.is_tou, peak), else_=None),
            case((Meter.is_tou, func.sum(DailyReading.kwh) - peak), else_=None),
            false(),
            literal("ami"),
            Meter.org_unit_id,
        )
        .select_from(Meter)
        .join(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
        # Meters outer, the (meter_id, day) key inner: each meter reads only its month.
        .join(
            DailyReading,
            and_(
                DailyReading.meter_id == Meter.id,
                DailyReading.day >= first,
                DailyReading.day < after,
            ),
        )
        .where(*_in_scope(path), _not_yet(Meter.id, period))
        .group_by(Meter.id, SupplyPoint.account_id, Meter.org_unit_id, Meter.is_tou)
    )
    return _inserted(uow, period, stmt)


def _from_registers(
    uow: UnitOfWork, period: str, first: date, after: date, path: str | None
) -> int:
    peak = func.coalesce(func.sum(RegisterRead.peak_kwh), 0)
    stmt = (
        select(
            Meter.id,
            SupplyPoint.account_id,
            literal(period),
            func.sum(RegisterRead.kwh),
            case((Meter.is_tou, peak), else_=None),
            case((Meter.is_tou, func.sum(RegisterRead.kwh) - peak), else_=None),
            func.max(case((RegisterRead.estimated, 1), else_=0)) > 0,
            literal("register"),
            Meter.org_unit_id,
        )
        .select_from(Meter)
        .join(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
        .join(
            RegisterRead,
            and_(
                RegisterRead.meter_id == Meter.id,
                RegisterRead.read_on >= first,
                RegisterRead.read_on < after,
                RegisterRead.kwh.is_not(None),  # a meter's first reading has no energy
            ),
        )
        .where(*_in_scope(path), _not_yet(Meter.id, period))
        .group_by(Meter.id, SupplyPoint.account_id, Meter.org_unit_id, Meter.is_tou)
    )
    return _inserted(uow, period, stmt)


def _usage_rows(uow: UnitOfWork, period: str) -> int:
    return int(uow.session.scalar(select(func.count()).where(MonthlyUsage.period == period)) or 0)


def _inserted(uow: UnitOfWork, period: str, stmt: Any) -> int:
    """Run an INSERT … SELECT and count what it added (drivers disagree on rowcount for
    INSERT … SELECT, so the rows are counted before and after)."""
    before = _usage_rows(uow, period)
    uow.session.execute(insert(MonthlyUsage).from_select(_COLUMNS, stmt))
    return _usage_rows(uow, period) - before


def _average(values: list[Decimal]) -> Decimal:
    if not values:
        return Decimal("0.00")
    return (sum(values, Decimal(0)) / len(values)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _estimates(uow: UnitOfWork, period: str, after: date) -> int:
    """Meters with neither kind of reading: their last three months' average. Usually a
    handful, so computed in Decimal here; the candidates come through the scoped
    session."""
    candidates = uow.session.execute(
        select(Meter.id, SupplyPoint.account_id, Meter.org_unit_id, Meter.is_tou)
        .join(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
        .where(
            Meter.installed_on < after,
            Meter.status == RecordStatus.ACTIVE,
            _not_yet(Meter.id, period),
        )
    ).all()
    if not candidates:
        return 0
    month = month_of_period(period)
    earlier = [period_of_month(month - k) for k in range(1, ESTIMATE_MONTHS + 1)]
    history: dict[int, list[tuple[Decimal, Decimal | None]]] = defaultdict(list)
    ids = [c[0] for c in candidates]
    for start in range(0, len(ids), 5000):
        for mid, kwh, peak in uow.session.execute(
            select(MonthlyUsage.meter_id, MonthlyUsage.kwh, MonthlyUsage.peak_kwh).where(
                MonthlyUsage.meter_id.in_(ids[start : start + 5000]),
                MonthlyUsage.period.in_(earlier),
            )
        ):
            history[mid].append((kwh, peak))
    rows = []
    for mid, account_id, unit_id, is_tou in candidates:
        past = history.get(mid, [])
        kwh = _average([k for k, _ in past])
        peak = min(_average([p for _, p in past if p is not None]), kwh) if is_tou else None
        rows.append(
            {
                "meter_id": mid,
                "account_id": account_id,
                "period": period,
                "kwh": kwh,
                "peak_kwh": peak,
                "valley_kwh": None if peak is None else kwh - peak,
                "estimated": True,
                "source": "estimate",
                "org_unit_id": unit_id,
            }
        )
    uow.session.execute(insert(MonthlyUsage), rows)
    return len(rows)


def _utility_wide(uow: UnitOfWork, path: str | None) -> bool:
    if uow.actor.scope.reading_area_ids is not None:
        return False
    if path is None:
        return True
    parent = uow.session.execute(select(OrgUnit.parent_id).where(OrgUnit.path == path)).first()
    return parent is not None and parent[0] is None


def do_close_period(uow: UnitOfWork, period: str) -> CloseSummary:
    first, after = month_bounds(period)
    if after > clock.business_day():
        raise ValidationProblem(
            f"{period} 尚未结束，不能关闭 / {period} is not over yet and cannot be closed",
            field="period",
        )
    with uow:
        path = _scope_path(uow)
        unit_id = uow.actor.org_unit_id
        wide = _utility_wide(uow, path)
        if is_period_closed(uow, period):
            return CloseSummary(
                period=period,
                org_unit_id=unit_id,
                already_closed=True,
                utility_wide=wide,
                meters=0,
                from_daily=0,
                from_registers=0,
                estimated=0,
            )
        daily = _from_daily(uow, period, first, after, path)
        registers = _from_registers(uow, period, first, after, path)
        estimated = _estimates(uow, period, after)
        now, who = clock.now(), uow.actor.username
        record = uow.session.get(ReadingPeriod, period)
        if record is None:
            record = ReadingPeriod(period=period, status=PeriodStatus.OPEN)
            uow.session.add(record)
        if wide:
            record.status, record.closed_at, record.closed_by = PeriodStatus.CLOSED, now, who
        elif unit_id is not None:
            uow.session.add(
                PeriodClosure(
                    period=period,
                    org_unit_id=unit_id,
                    org_path=path or "/",
                    closed_at=now,
                    closed_by=who,
                    meters=daily + registers + estimated,
                    estimated=estimated,
                )
            )
        summary = CloseSummary(
            period=period,
            org_unit_id=unit_id,
            already_closed=False,
            utility_wide=wide,
            meters=daily + registers + estimated,
            from_daily=daily,
            from_registers=registers,
            estimated=estimated,
        )
        uow.audit(
            "readings.close_period",
            object_type="reading_period",
            object_id=period,
            org_unit_id=unit_id,
            after=summary.model_dump(),
        )
        uow.emit(
            PeriodClosed(
                period=period,
                org_unit_id=unit_id,
                utility_wide=wide,
                meters=summary.meters,
                estimated=estimated,
            )
        )
        uow.commit()
    return summary
