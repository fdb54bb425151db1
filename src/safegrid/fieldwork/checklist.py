"""Recording the 三查三测 checklist (FLD-2).

Each item carries a photo: its EXIF time must fall in the order's working window and its
GPS within 100 m of the site; it is stored byte for byte under its SHA-256, and one photo
proves one item only. A ground resistance above 4 Ω stops the order, opens a repair order
for the same meter and raises an alarm — in the same transaction as the reading itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from safegrid.fieldwork import services
from safegrid.fieldwork.alarms import raise_alarm
from safegrid.fieldwork.checklist_rules import MAX_GROUND_OHMS
from safegrid.fieldwork.geometry import metres_between
from safegrid.fieldwork.lifecycle import load, refuse, stop_in
from safegrid.fieldwork.models import WorkOrder, WorkOrderKind, WorkOrderStatus
from safegrid.fieldwork.photos import read_photo
from safegrid.fieldwork.positions import SITE_METRES
from safegrid.fieldwork.refusals import logged
from safegrid.fieldwork.safety_models import AlarmKind, CheckItem, FieldPhoto, OrderCheck
from safegrid.fieldwork.settings import field_settings
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.uow import UnitOfWork

MEASURED = (CheckItem.VOLTAGE, CheckItem.GROUND_RESISTANCE)


@dataclasses.dataclass(frozen=True)
class CheckIn:
    work_order_id: int
    item: CheckItem
    ok: bool
    photo: bytes
    value: Decimal | None = None  # V for voltage, Ω for ground resistance


@dataclasses.dataclass(frozen=True)
class ChecklistResult:
    recorded: int
    stopped: list[str]
    repair_orders: list[int]


def _verify(o: WorkOrder, c: CheckIn) -> tuple[FieldPhoto, bool]:
    if len(c.photo) > field_settings().photo_max_bytes:
        raise refuse(o, "照片过大 / the photo is too large", "photo")
    facts = read_photo(c.photo)
    if not o.window_start <= facts.taken_at <= o.window_end:
        raise refuse(
            o,
            f"{c.item.value} 照片拍摄于 {facts.taken_at.isoformat()}，不在作业时段内 / "
            "photo taken outside the working window",
            "photo",
        )
    if facts.taken_at > clock.now():
        raise refuse(o, "照片时间在未来 / photo time lies in the future", "photo")
    away = metres_between(facts.lat, facts.lon, o.site_lat, o.site_lon)
    if away > SITE_METRES:
        raise refuse(
            o,
            f"{c.item.value} 照片距现场 {away:.0f} m > 100 m / photo taken {away:.0f} m from the site",
            "photo",
        )
    if c.item in MEASURED and (c.value is None or c.value < 0):
        raise refuse(o, f"{c.item.value} 须填写测量值 / a measured value is required", "value")
    ok = (
        c.ok
        if c.item != CheckItem.GROUND_RESISTANCE
        else c.value is not None and c.value <= MAX_GROUND_OHMS
    )
    photo = FieldPhoto(
        sha256=facts.sha256,
        media_type=facts.media_type,
        content=c.photo,
        taken_at=facts.taken_at,
        lat=facts.lat,
        lon=facts.lon,
        uploaded_at=clock.now(),
        org_unit_id=o.org_unit_id,
        uploaded_by=0,
    )
    return photo, ok


def do_record_checks(uow: UnitOfWork, checks: Sequence[CheckIn]) -> ChecklistResult:
    ids = sorted({c.work_order_id for c in checks})
    with logged(uow, "workorder.checklist_refused", "work_order", ids), uow:
        if not checks:
            raise ValidationProblem("没有检查项 / no checklist items", field="items")
        now = clock.now()
        me = uow.actor.account_id
        if me is None:
            raise ValidationProblem("须由作业人填写 / the operator fills the checklist")
        orders = {o.id: o for o in load(uow, ids)}
        for o in orders.values():
            if o.assignee_id != me:
                raise refuse(o, "仅作业人本人可填写 / only the operator fills the checklist")
            if o.status not in (WorkOrderStatus.DISPATCHED, WorkOrderStatus.ACCEPTED):
                raise ConflictError(f"工单 {o.number} 状态为 {o.status.value} / not before start")
        stopped, repairs = [], []
        for c in checks:
            o = orders[c.work_order_id]
            number = o.number  # a failed flush expires the order; the message needs this
            photo, ok = _verify(o, c)
            photo.uploaded_by = me
            uow.session.add(photo)
            try:
                uow.session.flush()
                check = OrderCheck(
                    work_order_id=o.id,
                    item=c.item,
                    ok=ok,
                    value=c.value,
                    photo_id=photo.id,
                    recorded_by=me,
                    recorded_at=now,
                    org_unit_id=o.org_unit_id,
                )
                uow.session.add(check)
                uow.session.flush()
            except IntegrityError:
                raise ConflictError(
                    f"工单 {number}：{c.item.value} 已记录，或该照片已用于其他检查项 / "
                    "item already recorded, or the photo was already used",
                    field="photo",
                ) from None
            uow.audit(
                "workorder.checked",
                object_type="work_order",
                object_id=o.id,
                org_unit_id=o.org_unit_id,
                after={
                    "item": c.item.value,
                    "ok": ok,
                    "value": str(c.value),
                    "photo_sha256": photo.sha256,
                    "taken_at": photo.taken_at.isoformat(),
                },
            )
            if c.item == CheckItem.GROUND_RESISTANCE and not ok:
                why = f"接地电阻 {c.value} Ω > 4 Ω，停止作业 / ground resistance {c.value} Ω above 4 Ω"
                stop_in(uow, o, why)
                repair = services.open_in(
                    uow,
                    services.NewWorkOrder(
                        WorkOrderKind.REPAIR,
                        o.meter_id,
                        clock.business_day(now),
                        site_lat=o.site_lat,
                        site_lon=o.site_lon,
                        parent_id=o.id,
                        org_unit_id=o.org_unit_id,
                    ),
                )
                raise_alarm(
                    uow, o, AlarmKind.GROUND_RESISTANCE, why, {"repair_order": repair.number}
                )
                stopped.append(o.number)
                repairs.append(repair.id)
        uow.commit()
        return ChecklistResult(len(checks), stopped, repairs)
