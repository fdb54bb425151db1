"""The evidence of a drawn order, side by side (FLD-7 "four checks, four looks"): the
record (its audit trail), the photos (site images of the checklist; the video slot of the
form), the tool ledger (the crew's kit tests) and the GPS track (device fixes)."""

from __future__ import annotations

import base64
import dataclasses
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from safegrid.fieldwork.models import WorkOrder
from safegrid.fieldwork.safety_models import FieldPhoto, KitTest, OrderCheck, PositionFix, ToolKit
from safegrid.fieldwork.supervision import SupervisionDraw, SupervisionReview
from safegrid.platform.errors import NotFoundError
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AuditEntry


@dataclasses.dataclass(frozen=True)
class Evidence:
    order_id: int
    number: str
    status: str
    record: list[tuple[datetime, str, str]]  # when, action, who
    photos: list[tuple[str, str, str]]  # item, taken at, data: URL
    ledger: list[tuple[str, date, bool]]  # kit, tested on, passed
    track: list[tuple[datetime, Decimal, Decimal]]
    reviewed: bool


@dataclasses.dataclass(frozen=True)
class DrawView:
    id: int
    period: str
    seed: int
    population: int
    orders: list[Evidence]


def draw_evidence(uow: UnitOfWork, draw_id: int) -> DrawView:
    with uow:
        draw = uow.session.scalar(select(SupervisionDraw).where(SupervisionDraw.id == draw_id))
        if draw is None:
            raise NotFoundError("抽查记录不存在 / draw not found")
        ids = list(draw.drawn)
        orders = uow.session.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids))).all()
        reviewed = set(
            uow.session.scalars(
                select(SupervisionReview.work_order_id).where(SupervisionReview.draw_id == draw.id)
            )
        )
        out = []
        for o in orders:
            record = [
                (e.at, e.action, e.actor_name)
                for e in uow.session.scalars(
                    select(AuditEntry)
                    .where(
                        AuditEntry.object_type == "work_order", AuditEntry.object_id == str(o.id)
                    )
                    .order_by(AuditEntry.seq)
                )
            ]
            photos = [
                (
                    c.item.value,
                    p.taken_at.isoformat(),
                    "data:image/jpeg;base64," + base64.b64encode(p.content).decode(),
                )
                for c, p in uow.session.execute(
                    select(OrderCheck, FieldPhoto)
                    .join(FieldPhoto, FieldPhoto.id == OrderCheck.photo_id)
                    .where(OrderCheck.work_order_id == o.id)
                )
            ]
            crew = [a for a in (o.assignee_id, o.supervisor_id) if a]
            ledger = [
                (k.number, t.tested_on, t.passed)
                for t, k in uow.session.execute(
                    select(KitTest, ToolKit)
                    .join(ToolKit, ToolKit.id == KitTest.kit_id)
                    .where(ToolKit.holder_id.in_(crew))
                    .order_by(KitTest.tested_on.desc())
                    .limit(6)
                )
            ]
            track = [
                (f.at, f.lat, f.lon)
                for f in uow.session.scalars(
                    select(PositionFix)
                    .where(PositionFix.work_order_id == o.id)
                    .order_by(PositionFix.at)
                )
            ]
            out.append(
                Evidence(
                    o.id, o.number, o.status.value, record, photos, ledger, track, o.id in reviewed
                )
            )
        return DrawView(draw.id, draw.period, int(draw.seed), len(draw.population), out)
