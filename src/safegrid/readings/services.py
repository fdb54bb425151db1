"""Meter reading use cases (BILL-2). Every change: one unit of work, scoped, audited.

The bulk paths live next door — :mod:`.imports` (CSV/Excel), :mod:`.ami` (interval
feed), :mod:`.periods` (closing a month) — and are re-exported here, so the web, API,
CLI and jobs all call ``services.do_*``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from safegrid.bootstrap import get_platform
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import ami, context, files, plausible
from safegrid.readings.context import epoch_day
from safegrid.readings.events import ReadingEntered
from safegrid.readings.frame import MISSING, RowProblem
from safegrid.readings.imports import Progress, do_import_readings
from safegrid.readings.models import ReadSource, RegisterRead
from safegrid.readings.periods import do_close_period, is_period_closed, month_bounds
from safegrid.readings.repository import ReadingRepository
from safegrid.readings.reviews import (
    REASON_MIN,
    AbnormalReading,
    queue_review,
    refuse_if_waiting,
)
from safegrid.readings.schemas import (
    DailyReadingOut,
    ImportReport,
    MeterReadings,
    MonthlyUsageOut,
    PeriodOut,
    ReadingEntry,
    ReadingReviewOut,
    RegisterReadOut,
)
from safegrid.readings.validation import Validated, validate
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


def do_enter_reading(uow: UnitOfWork, entry: ReadingEntry) -> RegisterReadOut | ReadingReviewOut:
    """One reading typed in by a meter reader: the same parse and validation as a file.
    A meter outside the reader's areas is not found (404), like one that does not exist.
    Usage outside the meter's plausible range (:mod:`.plausible`) is refused unless the
    reader confirms it with a reason; then it waits for review instead of being stored."""
    with uow:
        refuse_if_waiting(uow, entry.asset_no)
        reads, ctx, backwards, problem = _validated(uow, entry)
        m = int(ctx.meters.lookup(pa.array([entry.asset_no]))[0])
        prev_day, prev_c = int(ctx.meters.prev_day[m]), int(ctx.meters.prev_total_c[m])
        days = epoch_day(entry.read_on) - prev_day if prev_day != MISSING else 0
        meter_id = int(ctx.meters.meter_id[m])
        band = plausible.bands(uow, [meter_id], entry.read_on).get(meter_id)
        kwh = None if backwards or not len(reads) else _dec(int(reads.kwh_c[0]))
        kinds = plausible.judge(band, kwh, days, backwards=backwards)
        if kinds:
            previous = _dec(prev_c)
            span = plausible.register_range(band, previous, days, int(ctx.meters.multiplier[m]))
            reason = (entry.confirm_reason or "").strip()
            if len(reason) < REASON_MIN:
                raise AbnormalReading(
                    kinds,
                    previous,
                    span,
                    problem.message if problem else "",
                    problem.field if problem else "total",
                )
            return queue_review(
                uow, entry, meter_id, int(ctx.meters.org_unit_id[m]), kinds, previous, span
            )
        read = store_read(uow, reads, uow.actor.username)
        out = RegisterReadOut.model_validate(read)
        uow.commit()
        return out


def _validated(
    uow: UnitOfWork, entry: ReadingEntry
) -> tuple[Validated, context.Context, bool, RowProblem | None]:
    """Validation of one entry (inside ``uow``); a register lower than the last one comes
    back as ``backwards`` instead of an error: it may be confirmed and reviewed."""
    frame, problems = files.frame_from_records([entry.record()])
    ctx = context.load(uow, frame.asset_no, int(frame.day[0]))
    reads = validate(frame, problems, ctx)
    backwards, problem = False, None
    if problems.error_count:
        first = problems.listed(limit=1)[0]
        if first.code == "unknown_meter":
            raise NotFoundError(METER_NOT_FOUND)
        backwards, problem = set(problems.counts()) == {"negative"}, first
        if not backwards:
            raise ValidationProblem(first.message, field=first.field)
    return reads, ctx, backwards, problem


def store_read(
    uow: UnitOfWork,
    reads: Validated,
    entered_by: str,
    source: ReadSource = ReadSource.MANUAL,
    batch_id: int | None = None,
) -> RegisterRead:
    """The first validated reading as a register read, audited and announced."""
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
        source=source,
        batch_id=batch_id,
        entered_by=entered_by,
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
    return read


def store_reviewed(
    uow: UnitOfWork,
    entry: ReadingEntry,
    entered_by: str,
    source: ReadSource = ReadSource.MANUAL,
    batch_id: int | None = None,
) -> RegisterRead:
    """A reviewed register reading, stored on the reviewer's word (inside ``uow``) as its
    source would have stored it."""
    reads, _ctx, backwards, _problem = _validated(uow, entry)
    if backwards:
        raise ValidationProblem(
            "示数小于上次读数，不能入库：请驳回并安排核查电表 / a register lower than the last "
            "one cannot be stored: reject it and have the meter checked",
            field="decision",
        )
    return store_read(uow, reads, entered_by, source, batch_id)


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
