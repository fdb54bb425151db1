"""Three-colour rectification (FLD-8): yellow — a written review within 3 days; red —
suspended from field orders until 8 h of retraining are recorded; black — removed from
post (never dispatched again) and the quarter's safety bonus withheld. The consequence is
enforced where it bites: dispatch asks :func:`suspended`."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from safegrid.fieldwork.refusals import logged
from safegrid.org.models import OrgScoped
from safegrid.platform import clock
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot
from safegrid.security.models import StaffAccount

RETRAINING_HOURS = Decimal(8)
REVIEW_DAYS = 3


class Colour(enum.StrEnum):
    YELLOW = "yellow"
    RED = "red"
    BLACK = "black"


class Rectification(OrgScoped, Base):
    __tablename__ = "field_rectifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    colour: Mapped[Colour] = mapped_column(str_enum(Colour, 8))
    reason: Mapped[str] = mapped_column(String(300))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), default=None)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    review_due_on: Mapped[date | None] = mapped_column(Date, default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    retraining_hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal(0))
    bonus_withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


@dataclasses.dataclass(frozen=True)
class NewRectification:
    worker_id: int
    colour: Colour
    reason: str
    work_order_id: int | None = None


def suspended(session: Session, account_ids: Sequence[int], now: datetime) -> dict[int, str]:
    """account id → why he may not be dispatched (red not retrained, or black)."""
    rows = session.scalars(
        select(Rectification).where(
            Rectification.worker_id.in_(set(account_ids)),
            Rectification.colour.in_([Colour.RED, Colour.BLACK]),
            Rectification.cleared_at.is_(None),
        )
    )
    out: dict[int, str] = {}
    for r in rows:
        if r.colour == Colour.BLACK:
            out[r.worker_id] = f"#{r.worker_id} 黑色整改已调离岗位 / removed from post (black)"
        else:
            out[r.worker_id] = (
                f"#{r.worker_id} 红色整改停工，需再培训 8 小时（已 {r.retraining_hours}）/ "
                f"suspended (red) until 8 h retraining, {r.retraining_hours} h done"
            )
    return out


def do_rectify(uow: UnitOfWork, items: Sequence[NewRectification]) -> list[int]:
    with logged(uow, "rectification.refused", "staff_account", [i.worker_id for i in items]), uow:
        now = clock.now()
        workers = {
            a.id: a
            for a in uow.session.scalars(
                select(StaffAccount).where(StaffAccount.id.in_([i.worker_id for i in items]))
            )
        }
        ids = []
        for i in items:
            worker = workers.get(i.worker_id)
            if worker is None:
                raise NotFoundError("人员不存在 / worker not found", field="worker_id")
            if not i.reason.strip():
                raise ValidationProblem("须写明原因 / a reason is required", field="reason")
            if worker.id == uow.actor.account_id:
                raise ValidationProblem(
                    "不能整改自己 / nobody rectifies himself", field="worker_id"
                )
            row = Rectification(
                worker_id=worker.id,
                colour=i.colour,
                reason=i.reason.strip()[:300],
                work_order_id=i.work_order_id,
                issued_at=now,
                issued_by=uow.actor.account_id,
                review_due_on=clock.business_day(now) + timedelta(days=REVIEW_DAYS)
                if i.colour == Colour.YELLOW
                else None,
                bonus_withheld=i.colour == Colour.BLACK,
                org_unit_id=worker.org_unit_id,
            )
            uow.session.add(row)
            uow.session.flush()
            uow.audit(
                f"rectification.{i.colour.value}",
                object_type="staff_account",
                object_id=worker.id,
                org_unit_id=worker.org_unit_id,
                after=snapshot(row),
            )
            ids.append(row.id)
        uow.commit()
        return ids


def do_record_progress(
    uow: UnitOfWork,
    rectification_id: int,
    *,
    retraining_hours: Decimal = Decimal(0),
    written_review: bool = False,
) -> bool:
    """Record retraining hours (red) or the written review (yellow); a red one is cleared
    once 8 h are reached. Black is never cleared here. Returns whether it is now cleared."""
    with (
        logged(uow, "rectification.progress_refused", "field_rectification", [rectification_id]),
        uow,
    ):
        row = uow.session.scalar(
            select(Rectification).where(Rectification.id == rectification_id).with_for_update()
        )
        if row is None:
            raise NotFoundError("整改记录不存在 / rectification not found")
        if row.cleared_at is not None or row.colour == Colour.BLACK:
            raise ConflictError("该整改已结束或不可解除 / closed or not clearable")
        if retraining_hours < 0 or retraining_hours > 24:
            raise ValidationProblem("培训学时须在 0–24 之间 / hours 0-24", field="retraining_hours")
        if retraining_hours != retraining_hours.quantize(Decimal("0.1")):
            raise ValidationProblem(
                "培训学时最多一位小数 / hours to one decimal place", field="retraining_hours"
            )
        # An empty record would leave an audit entry saying progress was made when none was.
        if row.colour == Colour.RED and retraining_hours == 0:
            raise ValidationProblem(
                "须填写培训学时 / enter the retraining hours", field="retraining_hours"
            )
        if row.colour == Colour.YELLOW and not written_review:
            raise ValidationProblem(
                "须确认已完成书面复查 / confirm the written review is done",
                field="written_review",
            )
        before = snapshot(row)
        now = clock.now()
        if row.colour == Colour.RED:
            row.retraining_hours += retraining_hours
            if row.retraining_hours >= RETRAINING_HOURS:
                row.cleared_at = now
        elif written_review:
            row.reviewed_at = row.cleared_at = now
        uow.audit(
            "rectification.progress",
            object_type="staff_account",
            object_id=row.worker_id,
            org_unit_id=row.org_unit_id,
            before=before,
            after=snapshot(row),
        )
        cleared = row.cleared_at is not None
        uow.commit()
        return cleared
