"""Meter reading use cases (BILL-2). Every change: one unit of work, scoped, audited.

The bulk paths live next door — :mod:`.imports` (CSV/Excel), :mod:`.ami` (interval
feed), :mod:`.periods` (closing a month) — and are re-exported here, so the web, API,
CLI and jobs all call ``services.do_*``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from safegrid.bootstrap import get_platform
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import ami, context, files
from safegrid.readings.events import ReadingEntered
from safegrid.readings.frame import MISSING
from safegrid.readings.imports import Progress, do_import_readings
from safegrid.readings.models import ReadSource, RegisterRead
from safegrid.readings.periods import do_close_period, is_period_closed, month_bounds
from safegrid.readings.repository import ReadingRepository
from safegrid.readings.schemas import (
    DailyReadingOut,
    ImportReport,
    MeterReadings,
    MonthlyUsageOut,
    PeriodOut,
    ReadingEntry,
    RegisterReadOut,
)
from safegrid.readings.validation import validate
from safegrid.security.masking import snapshot

__all__ = [
    "do_close_period",
    "do_enter_reading",
    "do_import_readings",
    "do_ingest_ami",
    "is_period_closed",
    "list_periods",
    "meter_id_by_asset",
    "meter_readings",
]

METER_NOT_FOUND = "电表不存在 / meter not found"
RECENT = 31


def _dec(value_c: int) -> Decimal | None:
    return None if value_c == MISSING else Decimal(int(value_c)).scaleb(-2)


def do_enter_reading(uow: UnitOfWork, entry: ReadingEntry) -> RegisterReadOut:
    """One reading typed in by a meter reader: the same parse and validation as a file.
    A meter outside the reader's areas is not found (404), like one that does not exist."""
    frame, problems = files.frame_from_records([entry.record()])
    with uow:
        ctx = context.load(uow, frame.asset_no, int(frame.day[0]))
        reads = validate(frame, problems, ctx)
        if problems.error_count:
            first = problems.listed(limit=1)[0]
            if first.code == "unknown_meter":
                raise NotFoundError(METER_NOT_FOUND)
            raise ValidationProblem(first.message, field=first.field)
        i = 0
        read = RegisterRead(
            meter_id=int(reads.meter_id[i]),
            read_on=date.fromordinal(date(1970, 1, 1).toordinal() + int(reads.day[i])),
            total_register=_dec(int(reads.total_c[i])),
            peak_register=_dec(int(reads.peak_c[i])),
            valley_register=_dec(int(reads.valley_c[i])),
            kwh=_dec(int(reads.kwh_c[i])),
            peak_kwh=_dec(int(reads.peak_kwh_c[i])),
            valley_kwh=_dec(int(reads.valley_kwh_c[i])),
            estimated=bool(reads.estimated[i]),
            flags=reads.flags[i],
            source=ReadSource.MANUAL,
            entered_by=uow.actor.username,
            org_unit_id=int(reads.org_unit_id[i]),
        )
        uow.session.add(read)
        uow.session.flush()
        uow.audit(
            "reading.enter",
            object_type="register_read",
            object_id=read.id,
            org_unit_id=read.org_unit_id,
            after=snapshot(read),
        )
        uow.emit(
            ReadingEntered(
                read_id=read.id,
                meter_id=read.meter_id,
                read_on=read.read_on.isoformat(),
                org_unit_id=read.org_unit_id,
            )
        )
        uow.commit()
        return RegisterReadOut.model_validate(read)


def do_ingest_ami(
    uow: UnitOfWork, filename: str, data: bytes | Path, progress: Progress | None = None
) -> ImportReport:
    return ami.do_ingest_ami(uow, get_platform().settings.ami_dir, filename, data, progress)


def meter_id_by_asset(uow: UnitOfWork, asset_no: str) -> int:
    with uow:
        meter = ReadingRepository(uow).meter_by_asset(asset_no.strip())
        if meter is None:
            raise NotFoundError(METER_NOT_FOUND)
        return meter.id


def meter_readings(uow: UnitOfWork, meter_id: int, limit: int = RECENT) -> MeterReadings:
    with uow:
        repo = ReadingRepository(uow)
        meter = repo.meter(meter_id)
        if meter is None:
            raise NotFoundError(METER_NOT_FOUND)
        return MeterReadings(
            meter_id=meter.id,
            asset_no=meter.asset_no,
            multiplier=meter.multiplier,
            is_tou=meter.is_tou,
            register_reads=[
                RegisterReadOut.model_validate(r) for r in repo.register_reads(meter_id, limit)
            ],
            daily=[DailyReadingOut.model_validate(d) for d in repo.daily(meter_id, limit)],
            monthly=[MonthlyUsageOut.model_validate(m) for m in repo.monthly(meter_id, 13)],
        )


def recent_periods(count: int = 13) -> list[str]:
    """This month and the ``count − 1`` before it, newest first."""
    today = clock.business_day()
    month = (today.year - 1970) * 12 + today.month - 1
    return [context.period_of_month(month - k) for k in range(count)]


def list_periods(uow: UnitOfWork, count: int = 13) -> list[PeriodOut]:
    periods = recent_periods(count)
    with uow:
        repo = ReadingRepository(uow)
        records = repo.periods(periods)
        counts = repo.usage_counts(periods)
        path = uow.actor.scope.org_path
        here = {
            c.period: c
            for c in repo.closures(periods)
            if path is not None and path.startswith(c.org_path)
        }
        out = []
        for p in periods:
            record, closure = records.get(p), here.get(p)
            if record is not None and record.status == "closed":
                status, at, by = "closed", record.closed_at, record.closed_by
            elif closure is not None:
                status, at, by = "closed_here", closure.closed_at, closure.closed_by
            else:
                status, at, by = "open", None, None
            out.append(
                PeriodOut(
                    period=p, status=status, closed_at=at, closed_by=by, usage_rows=counts.get(p, 0)
                )
            )
        return out


def closeable(period: str) -> bool:
    return month_bounds(period)[1] <= clock.business_day()
