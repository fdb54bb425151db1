"""The reviewer's side of abnormal readings (BILL-2): the queue and the decision."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Final

import pyarrow as pa
from sqlalchemy import select

from safegrid.customers.models import Meter, ReadingArea
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import context
from safegrid.readings.events import ReadingReviewed
from safegrid.readings.frame import MISSING
from safegrid.readings.models import DailyReading, ReadSource
from safegrid.readings.reviews import as_entry
from safegrid.readings.route_models import ReadingReview, ReviewStatus
from safegrid.readings.services import store_reviewed
from safegrid.security.masking import snapshot

QUEUE_LIMIT: Final = 200
NOT_FOUND = "待复核读数不存在 / no such reading waiting for review"


@dataclasses.dataclass(frozen=True)
class QueuedReading:
    id: int
    asset_no: str
    book: str
    read_on: date
    total: Decimal
    previous: Decimal | None
    low: Decimal | None
    high: Decimal | None
    kinds: list[str]
    reason: str
    entered_by: str
    entered_at: datetime


def pending(uow: UnitOfWork, limit: int = QUEUE_LIMIT) -> list[QueuedReading]:
    """Readings waiting for review in the caller's scope, oldest first."""
    with uow:
        rows = uow.session.execute(
            select(ReadingReview, Meter.asset_no, ReadingArea.name)
            .join(Meter, Meter.id == ReadingReview.meter_id)
            .join(ReadingArea, ReadingArea.id == Meter.reading_area_id)
            .where(ReadingReview.status == ReviewStatus.PENDING)
            .order_by(ReadingReview.entered_at, ReadingReview.id)
            .limit(limit)
        ).all()
        return [
            QueuedReading(
                r.id,
                asset,
                book,
                r.read_on,
                r.total_register,
                r.previous_register,
                r.low,
                r.high,
                r.kinds.split(","),
                r.reason,
                r.entered_by,
                r.entered_at,
            )
            for r, asset, book in rows
        ]


def _store_day(uow: UnitOfWork, review: ReadingReview, asset_no: str) -> None:
    """An accepted AMI day, stored as the feed would have stored it: a daily reading that
    continues the meter's register (inside ``uow``). The meter's other readings were held
    while it waited, so it still follows the last stored one — unless a correction moved
    it, which is refused."""
    meters = context.load(uow, pa.array([asset_no], pa.string()), None).meters
    last_day, last_c = int(meters.prev_day[0]), int(meters.prev_total_c[0])
    day = context.epoch_day(review.read_on)
    previous = None if last_c == MISSING else Decimal(last_c).scaleb(-2)
    if last_day != day - 1 or previous != review.previous_register or review.kwh is None:
        raise ConflictError(
            "该表此后的读数已变化，不能按原值入库：请驳回后重新上送 / the meter's readings "
            "moved on since: reject this day and send it again",
            field="decision",
        )
    uow.session.add(
        DailyReading(
            meter_id=review.meter_id,
            day=review.read_on,
            register_kwh=review.total_register,
            kwh=review.kwh,
            source=ReadSource.AMI.value,
            peak_kwh=review.peak_kwh,
            valley_kwh=review.valley_kwh,
            org_unit_id=review.org_unit_id,
        )
    )


def do_decide_review(uow: UnitOfWork, review_id: int, accept: bool, note: str) -> int | None:
    """Accept (the reading is stored, entered by its reader) or reject a queued reading;
    returns the register read's id when accepted."""
    note = note.strip()
    if not accept and len(note) < 4:
        raise ValidationProblem("驳回须说明原因 / say why the reading is rejected", field="note")
    with uow:
        review = uow.session.scalars(
            select(ReadingReview).where(ReadingReview.id == review_id).with_for_update()
        ).first()
        if review is None:
            raise NotFoundError(NOT_FOUND)
        if review.status != ReviewStatus.PENDING:
            raise ConflictError(
                "该读数已复核 / this reading has already been reviewed", field="decision"
            )
        before = snapshot(review)
        read_id = None
        asset_no = uow.session.scalar(select(Meter.asset_no).where(Meter.id == review.meter_id))
        # Decided first: the stored reading must not meet its own pending review.
        review.status = ReviewStatus.ACCEPTED if accept else ReviewStatus.REJECTED
        review.decided_by, review.decided_at = uow.actor.username, clock.now()
        review.decision_note = note or None
        uow.session.flush()
        if accept and review.source == ReadSource.AMI:
            _store_day(uow, review, str(asset_no))
        elif accept:
            read = store_reviewed(
                uow,
                as_entry(review, str(asset_no)),
                review.entered_by,
                review.source,
                review.batch_id,
            )
            read_id = review.register_read_id = read.id
        uow.audit(
            "reading.review",
            object_type="reading_review",
            object_id=review.id,
            org_unit_id=review.org_unit_id,
            before=before,
            after=snapshot(review),
            note=note or None,
        )
        uow.emit(ReadingReviewed(review.id, review.meter_id, accept, read_id, review.org_unit_id))
        uow.commit()
        return read_id
