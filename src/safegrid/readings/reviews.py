"""Abnormal readings held for review (BILL-2): the reader confirms with a reason, the
reading waits as a :class:`~safegrid.readings.route_models.ReadingReview`, and a reviewer
(reading supervisor) accepts it — stored as a register read — or rejects it, and the
meter is read again. A stored reading is never edited: a wrong one is corrected through
the usage correction and re-pricing of BILL-7 (``safegrid readings correct-usage``, then
"re-price" on the bill)."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from safegrid.customers.models import Meter
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.events import ReadingQueued
from safegrid.readings.route_models import ReadingReview, ReviewStatus
from safegrid.readings.schemas import ReadingEntry, ReadingReviewOut
from safegrid.security.masking import snapshot

REASON_MIN: Final = 4
KIND_TEXT: Final = {
    "outlier": "超出合理范围 / outside the plausible range",
    "jump": "电量突增 / a jump far above the usual use",
    "zero": "零电量 / no use at all",
    "backwards": "示数倒走 / the register went backwards",
}
WAITING = (
    "该表已有待复核的读数，请等复核完成 / this meter has a reading waiting for review; "
    "wait for the reviewer's decision"
)


class AbnormalReading(ValidationProblem):
    """The usage looks wrong: the reader must confirm it with a reason (or re-read)."""

    def __init__(
        self,
        kinds: list[str],
        previous: Decimal | None,
        span: tuple[Decimal, Decimal] | None,
        detail: str = "",
        field: str = "total",
    ) -> None:
        # ``detail``: validation's own "中文 / English" sentence (e.g. negative consumption).
        detail_zh, _, detail_en = detail.partition(" / ")
        lead_zh = f"{detail_zh}。" if detail else ""
        lead_en = f"{detail_en}. " if detail else ""
        what = "；".join(KIND_TEXT[k].split(" / ")[0] for k in kinds)
        what_en = "; ".join(KIND_TEXT[k].split(" / ")[1] for k in kinds)
        if span is not None:
            zh = f"合理范围 {span[0]}–{span[1]}（上次 {previous}）"
            en = f"plausible range {span[0]}–{span[1]} (last {previous})"
        else:
            zh, en = f"上次示数 {previous}", f"last register {previous}"
        super().__init__(
            f"{lead_zh}读数异常：{what}，{zh}。请核对表盘；确认无误请填写原因，读数将提交复核 / "
            f"{lead_en}abnormal reading: {what_en}, {en}. Check the dial; if it is right, give the "
            "reason (confirm_reason) and the reading goes to review",
            field=field,
        )
        self.kinds, self.previous, self.span = kinds, previous, span


def refuse_if_waiting(uow: UnitOfWork, asset_no: str) -> None:
    # A business rule, not a uniqueness guarantee: the partial unique index on pending
    # reviews is what keeps a second one from being queued by a racing reader.
    waiting = uow.session.scalar(
        select(
            exists().where(
                ReadingReview.meter_id == Meter.id,
                Meter.asset_no == asset_no,
                ReadingReview.status == ReviewStatus.PENDING,
            )
        )
    )
    if waiting:
        raise ConflictError(WAITING, field="asset_no")


def queue_review(
    uow: UnitOfWork,
    entry: ReadingEntry,
    meter_id: int,
    org_unit_id: int,
    kinds: list[str],
    previous: Decimal | None,
    span: tuple[Decimal, Decimal] | None,
) -> ReadingReviewOut:
    """Hold ``entry`` for review (inside ``uow``, which this commits)."""
    review = ReadingReview(
        meter_id=meter_id,
        read_on=entry.read_on,
        total_register=entry.total,
        peak_register=entry.peak,
        valley_register=entry.valley,
        estimated=entry.estimated,
        kinds=",".join(kinds),
        previous_register=previous,
        low=span[0] if span else None,
        high=span[1] if span else None,
        reason=(entry.confirm_reason or "").strip(),
        entered_by=uow.actor.username,
        entered_at=clock.now(),
        status=ReviewStatus.PENDING,
        org_unit_id=org_unit_id,
    )
    uow.session.add(review)
    try:
        uow.session.flush()
    except IntegrityError:
        raise ConflictError(WAITING, field="asset_no") from None
    uow.audit(
        "reading.queue_review",
        object_type="reading_review",
        object_id=review.id,
        org_unit_id=org_unit_id,
        after=snapshot(review),
        note=review.reason,
    )
    uow.emit(ReadingQueued(review.id, meter_id, review.kinds, org_unit_id))
    out = ReadingReviewOut.model_validate(review)
    uow.commit()
    return out


def as_entry(review: ReadingReview, asset_no: str) -> ReadingEntry:
    return ReadingEntry(
        asset_no=asset_no,
        read_on=review.read_on,
        total=review.total_register,
        peak=review.peak_register,
        valley=review.valley_register,
        estimated=review.estimated,
    )
