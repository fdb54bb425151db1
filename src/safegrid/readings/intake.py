"""The plausibility screen every batch of readings passes before it is stored (BILL-2,
issue 13 item 4): a CSV/Excel import, the AMI feed and a field terminal's upload apply the
same rule as the reader's entry form (:mod:`.plausible`), set-based — the bands of the
whole batch from one query, the judgement in numpy.

What the screen holds back instead of storing:

- ``queued``: a meter's first implausible reading in the batch (outlier, jump, zero),
  held as a :class:`~safegrid.readings.route_models.ReadingReview` for the supervisor,
  with the batch's source, so an accepted AMI day is stored as a daily reading;
- ``after_queued``: that meter's later readings in the batch — each continues the held
  register, so storing them would decide the review before the reviewer does;
- ``review_waiting``: readings of a meter whose earlier reading still waits for review
  (one reading of a meter waits at a time, as on the entry form).

Everything else in the batch is stored. A register that went backwards stays a
validation error for a batch (the file is refused), as before: only a reader on site can
confirm it with a reason.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Final

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safegrid.platform import clock
from safegrid.platform.errors import ConflictError
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import plausible
from safegrid.readings.context import EPOCH, month_index
from safegrid.readings.events import ReadingQueued
from safegrid.readings.frame import MISSING, BoolArray, IntArray
from safegrid.readings.models import ReadSource
from safegrid.readings.reviews import KIND_TEXT, WAITING
from safegrid.readings.route_models import ReadingReview, ReviewStatus
from safegrid.readings.schemas import RowIssue
from safegrid.readings.sql_lists import in_ints
from safegrid.readings.validation import Validated

HELD_TEXT: Final = {
    "after_queued": (
        "同表前一读数待复核，本读数未入库，复核后请重新上送 / an earlier reading of this "
        "meter in the batch waits for review: not stored, send it again after the decision"
    ),
    "review_waiting": WAITING,
}
REPORT_LIMIT: Final = 1000


def batch_reason(source: str, batch: object) -> str:
    """The reason a batch reading waits for review, in the reviewer's queue."""
    return (
        f"{source} 批次 {batch} 的读数超出合理范围，自动提交复核 / from {source} batch "
        f"{batch}: outside the plausible range, queued for review automatically"
    )


@dataclasses.dataclass
class Screened:
    """A batch after the screen: what to store, what to queue, what is held back."""

    keep: Validated
    queued: Validated
    kinds: list[str]  # per queued reading
    bands: plausible.Bands  # per queued reading
    held: dict[str, int]  # held back, not queued: code → count
    issues: list[RowIssue]  # queued and held readings by source row, for the report

    @property
    def queued_counts(self) -> dict[str, int]:
        return dict(Counter(self.kinds))


def _waiting(uow: UnitOfWork, meter_ids: IntArray) -> BoolArray:
    pending = uow.session.scalars(
        select(ReadingReview.meter_id).where(
            in_ints(ReadingReview.meter_id, np.unique(meter_ids).tolist()),
            ReadingReview.status == ReviewStatus.PENDING,
        )
    ).all()
    out: BoolArray = np.isin(meter_ids, np.array(pending, np.int64))
    return out


def screen(uow: UnitOfWork, reads: Validated) -> Screened:
    """Judge every reading of ``reads`` (sorted by meter and day, as validation leaves
    them) against its meter's plausible range (inside ``uow``)."""
    n = len(reads)
    days = np.where(reads.prev_day != MISSING, reads.day - reads.prev_day, 0)
    bands = plausible.band_arrays(uow, reads.meter_id, month_index(reads.day))
    code = plausible.judge_many(bands, reads.kwh_c, days)
    waiting = _waiting(uow, reads.meter_id) if n else np.zeros(0, bool)
    abnormal = (code != plausible.NONE) & ~waiting
    first = np.ones(n, bool)
    first[1:] = reads.meter_id[1:] != reads.meter_id[:-1]
    group = np.cumsum(first) - 1
    index = np.arange(n)
    first_abnormal = np.full(int(group[-1]) + 1 if n else 0, n)
    np.minimum.at(first_abnormal, group[abnormal], index[abnormal])
    queued = abnormal & (index == first_abnormal[group])
    after = ~waiting & (index > first_abnormal[group])
    keep = ~(queued | after | waiting)
    at = np.flatnonzero(queued)
    kinds = [plausible.KINDS[int(c)] for c in code[at]]
    issues = [
        RowIssue(row=int(reads.row[i]), field="total", code=k, message=KIND_TEXT[k])
        for i, k in zip(at.tolist(), kinds, strict=True)
    ]
    for name, mask in (("after_queued", after), ("review_waiting", waiting)):
        issues += [
            RowIssue(row=int(r), field="asset_no", code=name, message=HELD_TEXT[name])
            for r in reads.row[mask][:REPORT_LIMIT].tolist()
        ]
    issues.sort(key=lambda issue: issue.row)
    held = {k: int(m.sum()) for k, m in (("after_queued", after), ("review_waiting", waiting))}
    return Screened(
        keep=reads.take(np.flatnonzero(keep)),
        queued=reads.take(at),
        kinds=kinds,
        bands=plausible.Bands(
            bands.median_c[at],
            bands.low_c[at],
            bands.high_c[at],
            bands.samples[at],
            bands.seasonal[at],
        ),
        held={k: v for k, v in held.items() if v},
        issues=issues[:REPORT_LIMIT],
    )


def _dec(value_c: int) -> Decimal | None:
    return None if value_c == MISSING else Decimal(int(value_c)).scaleb(-2)


def queue(
    uow: UnitOfWork,
    screened: Screened,
    source: ReadSource,
    batch_id: int | None,
    reason: str,
    object_type: str,
    object_id: int,
) -> list[int]:
    """Hold the screen's queued readings for review (inside ``uow``): one audit entry for
    the batch's object, one event per review; returns the reviews' ids."""
    q = screened.queued
    if not len(q):
        return []
    now = clock.now()
    reviews = []
    for i, kind in enumerate(screened.kinds):
        previous = _dec(int(q.prev_total_c[i]))
        days = int(q.day[i] - q.prev_day[i]) if q.prev_day[i] != MISSING else 0
        span = plausible.register_range(
            screened.bands.band(i), previous, days, int(q.multiplier[i])
        )
        reviews.append(
            ReadingReview(
                meter_id=int(q.meter_id[i]),
                read_on=EPOCH + timedelta(days=int(q.day[i])),
                total_register=_dec(int(q.total_c[i])),
                peak_register=_dec(int(q.peak_c[i])),
                valley_register=_dec(int(q.valley_c[i])),
                estimated=bool(q.estimated[i]),
                kinds=kind,
                previous_register=previous,
                low=span[0] if span else None,
                high=span[1] if span else None,
                reason=reason[:200],
                entered_by=uow.actor.username,
                entered_at=now,
                status=ReviewStatus.PENDING,
                org_unit_id=int(q.org_unit_id[i]),
                source=source,
                batch_id=batch_id,
                kwh=_dec(int(q.kwh_c[i])),
                peak_kwh=_dec(int(q.peak_kwh_c[i])),
                valley_kwh=_dec(int(q.valley_kwh_c[i])),
            )
        )
    uow.session.add_all(reviews)
    try:
        uow.session.flush()
    except IntegrityError:  # a reader queued one of these meters meanwhile
        raise ConflictError(WAITING, field="asset_no") from None
    uow.audit(
        "readings.batch_queue_review",
        object_type=object_type,
        object_id=object_id,
        org_unit_id=reviews[0].org_unit_id,
        after={
            "source": source.value,
            "queued": len(reviews),
            "kinds": screened.queued_counts,
            "held": screened.held,
            "review_ids": [r.id for r in reviews[:REPORT_LIMIT]],
        },
        note=reason[:200],
    )
    uow.emit_many([ReadingQueued(r.id, r.meter_id, r.kinds, r.org_unit_id) for r in reviews])
    return [r.id for r in reviews]
