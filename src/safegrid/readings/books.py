"""Reading books (抄表段) as a reader walks them (BILL-2): the day's meters in walking
order with the last reading and the plausible range, and the supervisor's edit of that
order. A book is a reading area; its order is :class:`RouteStop` rows."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

import pyarrow as pa
from sqlalchemy import ColumnElement, case, delete, exists, func, select

from safegrid.customers.models import Meter, ReadingArea, RecordStatus
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import context, plausible
from safegrid.readings.events import WalkingOrderSet
from safegrid.readings.frame import MISSING
from safegrid.readings.models import DailyReading, RegisterRead
from safegrid.readings.route_models import ReadingReview, ReviewStatus, RouteStop

BOOK_NOT_FOUND: Final = "抄表段不存在 / reading book not found"
MAX_STOPS: Final = 2000


@dataclasses.dataclass(frozen=True)
class BookSummary:
    id: int
    code: str
    name: str
    meters: int
    due: int


@dataclasses.dataclass(frozen=True)
class Stop:
    position: int | None  # None: not yet placed in the walking order
    meter_id: int
    asset_no: str
    last_day: date | None
    last_total: Decimal | None
    low: Decimal | None
    high: Decimal | None
    read_this_month: bool
    waiting_review: bool


@dataclasses.dataclass(frozen=True)
class Book:
    id: int
    code: str
    name: str
    day: date
    stops: list[Stop]


def _read_since(day: date) -> ColumnElement[bool]:
    return exists(
        select(RegisterRead.id).where(
            RegisterRead.meter_id == Meter.id, RegisterRead.read_on >= day
        )
    ) | exists(
        select(DailyReading.day).where(DailyReading.meter_id == Meter.id, DailyReading.day >= day)
    )


def books(uow: UnitOfWork) -> list[BookSummary]:
    """The reading books in the caller's scope (a reader: his own) with meters still
    unread this month."""
    month = clock.business_day().replace(day=1)
    unread = case((~_read_since(month), 1), else_=0)
    with uow:
        rows = uow.session.execute(
            select(
                ReadingArea.id, ReadingArea.code, ReadingArea.name, func.count(), func.sum(unread)
            )
            .join(Meter, Meter.reading_area_id == ReadingArea.id)
            .where(Meter.status == RecordStatus.ACTIVE)
            .group_by(ReadingArea.id, ReadingArea.code, ReadingArea.name)
            .order_by(ReadingArea.code)
        ).all()
    return [BookSummary(int(i), c, n, int(k), int(d or 0)) for i, c, n, k, d in rows]


def _area(uow: UnitOfWork, area_id: int, *, lock: bool = False) -> ReadingArea:
    stmt = select(ReadingArea).where(ReadingArea.id == area_id)
    area = uow.session.scalars(stmt.with_for_update() if lock else stmt).first()
    if area is None:
        raise NotFoundError(BOOK_NOT_FOUND)
    return area


def book(uow: UnitOfWork, area_id: int, day: date | None = None) -> Book:
    """The book's active meters in walking order (unplaced ones last, by asset number),
    each with its last reading and the plausible register range for ``day``."""
    day = day or clock.business_day()
    month = day.replace(day=1)
    with uow:
        area = _area(uow, area_id)
        unplaced = case((RouteStop.position.is_(None), 1), else_=0)
        rows = uow.session.execute(
            select(
                Meter.id,
                Meter.asset_no,
                RouteStop.position,
                _read_since(month),
                exists().where(
                    ReadingReview.meter_id == Meter.id,
                    ReadingReview.status == ReviewStatus.PENDING,
                ),
            )
            .outerjoin(
                RouteStop,
                (RouteStop.meter_id == Meter.id) & (RouteStop.reading_area_id == area.id),
            )
            .where(Meter.reading_area_id == area.id, Meter.status == RecordStatus.ACTIVE)
            .order_by(unplaced, RouteStop.position, Meter.asset_no)
            .limit(MAX_STOPS)
        ).all()
        assets = [r[1] for r in rows]
        meters = context.load(uow, pa.array(assets, pa.string()), None).meters
        bands = plausible.bands(uow, [int(r[0]) for r in rows], day)
        at = meters.lookup(pa.array(assets, pa.string())).tolist()
        stops = []
        for (meter_id, asset, position, read, waiting), m in zip(rows, at, strict=True):
            last_day = int(meters.prev_day[m]) if m >= 0 else MISSING
            last_c = int(meters.prev_total_c[m]) if m >= 0 else MISSING
            last_total = None if last_c == MISSING else Decimal(last_c).scaleb(-2)
            days = (day - context.EPOCH).days - last_day if last_day != MISSING else 0
            span = plausible.register_range(
                bands.get(int(meter_id)), last_total, days, int(meters.multiplier[m])
            )
            stops.append(
                Stop(
                    position,
                    int(meter_id),
                    asset,
                    None if last_day == MISSING else context.EPOCH + timedelta(days=last_day),
                    last_total,
                    span[0] if span else None,
                    span[1] if span else None,
                    bool(read),
                    bool(waiting),
                )
            )
        return Book(area.id, area.code, area.name, day, stops)


def do_set_walking_order(uow: UnitOfWork, area_id: int, asset_nos: list[str]) -> int:
    """Rewrite a book's walking order: ``asset_nos`` in the order walked, each a meter of
    the book; meters left out follow in asset order. Returns the number of stops."""
    wanted = [a.strip() for a in asset_nos if a.strip()]
    if len(wanted) > MAX_STOPS:
        raise ValidationProblem(
            f"一个抄表段最多 {MAX_STOPS} 块表 / at most {MAX_STOPS} meters in a book",
            field="order",
        )
    twice = sorted({a for a in wanted if wanted.count(a) > 1})
    if twice:
        raise ValidationProblem(
            f"电表重复：{', '.join(twice[:5])} / listed twice: {', '.join(twice[:5])}",
            field="order",
        )
    with uow:
        # The book's row lock serialises two supervisors rewriting the same order.
        area = _area(uow, area_id, lock=True)
        ids: dict[str, int] = {
            a: int(i)
            for a, i in uow.session.execute(
                select(Meter.asset_no, Meter.id).where(Meter.reading_area_id == area.id)
            )
        }
        strangers = [a for a in wanted if a not in ids]
        if strangers:
            raise ValidationProblem(
                f"不属于本抄表段：{', '.join(strangers[:5])} / not meters of this book: "
                f"{', '.join(strangers[:5])}",
                field="order",
            )
        before = list(
            uow.session.scalars(
                select(Meter.asset_no)
                .join(RouteStop, RouteStop.meter_id == Meter.id)
                .where(RouteStop.reading_area_id == area.id)
                .order_by(RouteStop.position)
            )
        )
        uow.session.execute(delete(RouteStop).where(RouteStop.reading_area_id == area.id))
        uow.session.add_all(
            RouteStop(
                reading_area_id=area.id,
                meter_id=ids[a],
                position=k + 1,
                org_unit_id=area.org_unit_id,
            )
            for k, a in enumerate(wanted)
        )
        uow.session.flush()
        uow.audit(
            "reading.walking_order",
            object_type="reading_area",
            object_id=area.id,
            org_unit_id=area.org_unit_id,
            before={"order": before},
            after={"order": wanted},
        )
        uow.emit(WalkingOrderSet(area.id, len(wanted), area.org_unit_id))
        uow.commit()
        return len(wanted)
