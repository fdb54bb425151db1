"""To-do providers of meter reading (BILL-2): readings due on my routes, months to close;
registered in :mod:`safegrid.web.routes` (ADR 0024)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Final

from sqlalchemy import ColumnElement, case, exists, select

from safegrid.customers.models import Meter, ReadingArea, RecordStatus
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import services
from safegrid.readings.correction_models import CorrectionStatus, UsageCorrectionRequest
from safegrid.readings.models import DailyReading, RegisterRead
from safegrid.readings.periods import month_bounds
from safegrid.readings.route_models import ReadingReview, ReviewStatus, RouteStop
from safegrid.security.policy import Perm, Post
from safegrid.web.i18n import N_
from safegrid.web.todo import Tally, TodoProvider, tally_rows

# A month should be closed in the first working days of the next one: bills wait for it.
CLOSE_WITHIN: Final = timedelta(days=5)
ROUTE_LIMIT: Final = 200
REVIEW_WITHIN: Final = timedelta(days=2)


def _read_since(day: date) -> ColumnElement[bool]:
    """The meter has a register read or an AMI daily value from ``day`` on."""
    return exists(
        select(RegisterRead.id).where(
            RegisterRead.meter_id == Meter.id, RegisterRead.read_on >= day
        )
    ) | exists(
        select(DailyReading.day).where(DailyReading.meter_id == Meter.id, DailyReading.day >= day)
    )


def _months() -> tuple[date, date]:
    this_month = clock.business_day().replace(day=1)
    return this_month, (this_month - timedelta(days=1)).replace(day=1)


def readings_due(uow: UnitOfWork) -> Tally:
    """Active meters of my routes (a reader's scope is his reading areas, IAM-1) without a
    reading this month; overdue when last month went unread too."""
    this_month, last_month = _months()
    return tally_rows(
        uow,
        Meter,
        Meter.status == RecordStatus.ACTIVE,
        ~_read_since(this_month),
        overdue=~_read_since(last_month),
    )


@dataclasses.dataclass(frozen=True)
class DueMeter:
    asset_no: str
    area: str
    unread_last_month: bool


def meters_due(uow: UnitOfWork, limit: int = ROUTE_LIMIT) -> list[DueMeter]:
    """The meters :func:`readings_due` counts, book by book in each book's walking order
    (meters not yet placed in it last, in asset order), for the reader's list."""
    this_month, last_month = _months()
    unplaced = case((RouteStop.position.is_(None), 1), else_=0)
    with uow:
        rows = uow.session.execute(
            select(Meter.asset_no, ReadingArea.name, ~_read_since(last_month))
            .join(ReadingArea, ReadingArea.id == Meter.reading_area_id)
            .outerjoin(
                RouteStop,
                (RouteStop.meter_id == Meter.id)
                & (RouteStop.reading_area_id == Meter.reading_area_id),
            )
            .where(Meter.status == RecordStatus.ACTIVE, ~_read_since(this_month))
            .order_by(ReadingArea.code, unplaced, RouteStop.position, Meter.asset_no)
            .limit(limit)
        ).all()
    return [DueMeter(a, n, bool(late)) for a, n, late in rows]


def readings_to_review(uow: UnitOfWork) -> Tally:
    """Abnormal readings waiting for my review; overdue after REVIEW_WITHIN (the meter
    counts as unread until then)."""
    late = clock.now() - REVIEW_WITHIN
    return tally_rows(
        uow,
        ReadingReview,
        ReadingReview.status == ReviewStatus.PENDING,
        overdue=ReadingReview.entered_at < late,
    )


def corrections_to_decide(uow: UnitOfWork) -> Tally:
    """Usage corrections others proposed, waiting for my approval; overdue after
    REVIEW_WITHIN (the customer's bills wait for them)."""
    late = clock.now() - REVIEW_WITHIN
    return tally_rows(
        uow,
        UsageCorrectionRequest,
        UsageCorrectionRequest.status == CorrectionStatus.PENDING,
        UsageCorrectionRequest.proposed_by != uow.actor.username,
        overdue=UsageCorrectionRequest.proposed_at < late,
    )


def months_to_close(uow: UnitOfWork) -> Tally:
    """Ended months my unit has not closed (bill runs refuse them, BILL-4)."""
    today = clock.business_day()
    waiting = [
        p.period
        for p in services.list_periods(uow)
        if p.status == "open" and services.closeable(p.period)
    ]
    late = [p for p in waiting if month_bounds(p)[1] + CLOSE_WITHIN < today]
    return Tally(len(waiting), len(late))


PROVIDERS: Final = (
    TodoProvider(
        "readings.due",
        N_("Readings due on my routes"),
        "metering",
        Perm.READINGS_ENTER,
        "/readings",
        readings_due,
        N_("last month unread too"),
        # Heads may enter a reading too, but the round is the readers' and their leader's.
        applies=lambda actor: actor.post in (Post.METER_READER, Post.TEAM_LEADER),
    ),
    TodoProvider(
        "readings.to_review",
        N_("Abnormal readings to review"),
        "metering",
        Perm.READINGS_SUPERVISE,
        "/readings/reviews",
        readings_to_review,
        N_("waiting more than 2 days"),
    ),
    TodoProvider(
        "readings.corrections_to_decide",
        N_("Usage corrections to approve"),
        "metering",
        Perm.BILLS_REVERSE,
        "/readings/corrections",
        corrections_to_decide,
        N_("waiting more than 2 days"),
    ),
    TodoProvider(
        "readings.months_to_close",
        N_("Months to close"),
        "metering",
        Perm.READINGS_CLOSE,
        "/readings/periods",
        months_to_close,
        N_("ended more than 5 days ago"),
    ),
)
