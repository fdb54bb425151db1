"""Queries of readings. The session's scope (ORG-2, IAM-1) applies to every statement."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from safegrid.customers.models import Meter
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.models import (
    DailyReading,
    MonthlyUsage,
    PeriodClosure,
    ReadingPeriod,
    RegisterRead,
)


class ReadingRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    def meter(self, meter_id: int) -> Meter | None:
        return self.session.scalars(select(Meter).where(Meter.id == meter_id)).first()

    def meter_by_asset(self, asset_no: str) -> Meter | None:
        return self.session.scalars(select(Meter).where(Meter.asset_no == asset_no)).first()

    def register_read(self, meter_id: int, day: object) -> RegisterRead | None:
        return self.session.scalars(
            select(RegisterRead).where(
                RegisterRead.meter_id == meter_id, RegisterRead.read_on == day
            )
        ).first()

    def register_reads(self, meter_id: int, limit: int) -> Sequence[RegisterRead]:
        return self.session.scalars(
            select(RegisterRead)
            .where(RegisterRead.meter_id == meter_id)
            .order_by(RegisterRead.read_on.desc())
            .limit(limit)
        ).all()

    def daily(self, meter_id: int, limit: int) -> Sequence[DailyReading]:
        return self.session.scalars(
            select(DailyReading)
            .where(DailyReading.meter_id == meter_id)
            .order_by(DailyReading.day.desc())
            .limit(limit)
        ).all()

    def monthly(self, meter_id: int, limit: int) -> Sequence[MonthlyUsage]:
        return self.session.scalars(
            select(MonthlyUsage)
            .where(MonthlyUsage.meter_id == meter_id)
            .order_by(MonthlyUsage.period.desc())
            .limit(limit)
        ).all()

    def periods(self, periods: Sequence[str]) -> dict[str, ReadingPeriod]:
        rows = self.session.scalars(select(ReadingPeriod).where(ReadingPeriod.period.in_(periods)))
        return {r.period: r for r in rows}

    def closures(self, periods: Sequence[str]) -> Sequence[PeriodClosure]:
        return self.session.scalars(
            select(PeriodClosure).where(PeriodClosure.period.in_(periods))
        ).all()

    def usage_counts(self, periods: Sequence[str]) -> dict[str, int]:
        rows = self.session.execute(
            select(MonthlyUsage.period, func.count())
            .where(MonthlyUsage.period.in_(periods))
            .group_by(MonthlyUsage.period)
        ).all()
        return {p: int(n) for p, n in rows}
