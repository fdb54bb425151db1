"""Monthly supervision draw (FLD-7): 20 % of a unit's orders finished in a month, drawn at
random with a recorded seed, and the "four checks, four looks" review of each drawn order
(record, video/photos, tool ledger, GPS track).

The draw is reproducible by anyone: the population (the finished orders' ids, ascending)
and the seed are stored with the draw, and :func:`draw_ids` — Python's Mersenne Twister
seeded with that integer, ``sample`` of ``ceil(20 %)`` — gives the same list again;
:func:`verify_draw` does exactly that. One draw per unit and month (unique row).
"""

from __future__ import annotations

import dataclasses
import math
import random
import secrets
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus
from safegrid.fieldwork.refusals import logged
from safegrid.fieldwork.team_results import month_bounds
from safegrid.org.models import OrgScoped, OrgUnit
from safegrid.platform import clock
from safegrid.platform.db import Base, UTCDateTime
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork

SHARE = 0.20
FINISHED = (
    WorkOrderStatus.FINISHED,
    WorkOrderStatus.SUBMITTED,
    WorkOrderStatus.REVIEWED,
    WorkOrderStatus.DONE,
)
LOOKS = ("record", "video", "tool_ledger", "gps_track")


class SupervisionDraw(OrgScoped, Base):
    __tablename__ = "supervision_draws"
    __table_args__ = (UniqueConstraint("org_unit_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    seed: Mapped[int] = mapped_column(BigInteger)
    population: Mapped[list[int]] = mapped_column(JSON)
    drawn: Mapped[list[int]] = mapped_column(JSON)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))


class SupervisionReview(OrgScoped, Base):
    __tablename__ = "supervision_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("supervision_draws.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    record_ok: Mapped[bool] = mapped_column(Boolean)
    video_ok: Mapped[bool] = mapped_column(Boolean)
    tool_ledger_ok: Mapped[bool] = mapped_column(Boolean)
    gps_track_ok: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[str] = mapped_column(String(1000))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def draw_ids(population: list[int], seed: int) -> list[int]:
    """The drawn ids for a population and seed (ascending); the whole rule is here."""
    ordered = sorted(population)
    k = math.ceil(len(ordered) * SHARE)
    return sorted(random.Random(seed).sample(ordered, k))


@dataclasses.dataclass(frozen=True)
class DrawResult:
    id: int
    period: str
    seed: int
    population: int
    drawn: list[int]


def do_draw(uow: UnitOfWork, unit_id: int, period: str, seed: int | None = None) -> DrawResult:
    """Draw a unit's month (its subtree's finished orders). Once per unit and month."""
    with logged(uow, "supervision.draw_refused", "org_unit", [unit_id, period]), uow:
        start, end = month_bounds(period)
        if clock.now() < end:
            raise ValidationProblem("月份尚未结束 / the month is not over", field="period")
        unit = uow.session.scalar(select(OrgUnit).where(OrgUnit.id == unit_id))
        if unit is None:
            raise NotFoundError("单位不存在 / unit not found")
        population = list(
            uow.session.scalars(
                select(WorkOrder.id)
                .join(OrgUnit, OrgUnit.id == WorkOrder.org_unit_id)
                .where(
                    OrgUnit.path.startswith(unit.path),
                    WorkOrder.status.in_(FINISHED),
                    WorkOrder.finished_at >= start,
                    WorkOrder.finished_at < end,
                )
                .order_by(WorkOrder.id)
            )
        )
        chosen_seed = seed if seed is not None else secrets.randbits(62)
        drawn = draw_ids(population, chosen_seed)
        row = SupervisionDraw(
            period=period,
            seed=chosen_seed,
            population=population,
            drawn=drawn,
            drawn_at=clock.now(),
            drawn_by=uow.actor.account_id,
            org_unit_id=unit.id,
        )
        uow.session.add(row)
        try:
            uow.session.flush()
        except IntegrityError:
            raise ConflictError(
                f"{period} 已抽取 / {period} was already drawn for this unit", field="period"
            ) from None
        uow.audit(
            "supervision.drawn",
            object_type="supervision_draw",
            object_id=row.id,
            org_unit_id=unit.id,
            after={
                "period": period,
                "seed": chosen_seed,
                "population": len(population),
                "drawn": drawn,
            },
        )
        uow.commit()
        return DrawResult(row.id, period, chosen_seed, len(population), drawn)


def verify_draw(uow: UnitOfWork, draw_id: int) -> bool:
    """Re-draw from the stored seed and population: True when it gives the stored list."""
    with uow:
        row = uow.session.scalar(select(SupervisionDraw).where(SupervisionDraw.id == draw_id))
        if row is None:
            raise NotFoundError("抽查记录不存在 / draw not found")
        return draw_ids(list(row.population), int(row.seed)) == list(row.drawn)


@dataclasses.dataclass(frozen=True)
class ReviewIn:
    work_order_id: int
    looks: dict[str, bool]  # LOOKS → passed
    findings: str = ""


def do_review_drawn(uow: UnitOfWork, draw_id: int, reviews: list[ReviewIn]) -> list[int]:
    """Record the four checks, four looks of drawn orders (each once)."""
    with logged(uow, "supervision.review_refused", "supervision_draw", [draw_id]), uow:
        draw = uow.session.scalar(select(SupervisionDraw).where(SupervisionDraw.id == draw_id))
        if draw is None:
            raise NotFoundError("抽查记录不存在 / draw not found")
        ids = []
        for r in reviews:
            if r.work_order_id not in draw.drawn:
                raise ValidationProblem(
                    f"工单 #{r.work_order_id} 不在本次抽查中 / not in this draw",
                    field="work_order_id",
                )
            if set(r.looks) != set(LOOKS):
                raise ValidationProblem(
                    "须逐项填写四查四看 / all four looks: " + ", ".join(LOOKS), field="looks"
                )
            failed = [k for k in LOOKS if not r.looks[k]]
            if failed and not r.findings.strip():
                raise ValidationProblem(
                    "不合格项须写明问题 / findings are required for a failed look", field="findings"
                )
            row = SupervisionReview(
                draw_id=draw.id,
                work_order_id=r.work_order_id,
                record_ok=r.looks["record"],
                video_ok=r.looks["video"],
                tool_ledger_ok=r.looks["tool_ledger"],
                gps_track_ok=r.looks["gps_track"],
                findings=r.findings.strip()[:1000],
                reviewer_id=uow.actor.account_id,
                reviewed_at=clock.now(),
                org_unit_id=draw.org_unit_id,
            )
            uow.session.add(row)
            try:
                uow.session.flush()
            except IntegrityError:
                raise ConflictError("该工单已审查 / this order was already reviewed") from None
            uow.audit(
                "supervision.reviewed",
                object_type="work_order",
                object_id=r.work_order_id,
                org_unit_id=draw.org_unit_id,
                after={"draw": draw.id, **r.looks, "findings": row.findings},
            )
            ids.append(row.id)
        uow.commit()
        return ids
