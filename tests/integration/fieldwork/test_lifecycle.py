"""Work orders through their field steps, each an audited, scoped, set-based service
(FLD-2: no start or submit without the 三查三测 checklist; photos' EXIF time and GPS
checked; ground resistance > 4 Ω stops the order and opens a repair order)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from safegrid.fieldwork import lifecycle
from safegrid.fieldwork.checklist import CheckIn, do_record_checks
from safegrid.fieldwork.models import WorkOrder, WorkOrderKind, WorkOrderStatus
from safegrid.fieldwork.safety_models import CheckItem, FieldAlarm, FieldPhoto, OrderCheck
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.field import SITE, Crew, exif_photo, full_checklist


def _count(crew: Crew, model: type, **where: object) -> int:
    with crew.world.platform.engine.connect() as conn:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return int(conn.execute(stmt).scalar_one())


def _order(crew: Crew, order_id: int) -> WorkOrder:
    with crew.world.platform.uow(crew.world.system()) as uow:
        return uow.session.scalars(select(WorkOrder).where(WorkOrder.id == order_id)).one()


def _to_accepted(crew: Crew, *ids: int) -> None:
    lifecycle.do_dispatch(crew.uow(crew.leader), list(ids))
    lifecycle.do_advance(crew.uow(crew.operator), "accept", list(ids))


def test_fld_2_order_runs_dispatch_to_review_with_checklist(crew: Crew) -> None:
    a, b = crew.order(kind=WorkOrderKind.READING), crew.order(kind=WorkOrderKind.REPAIR)
    _to_accepted(crew, a, b)  # two orders at once: the batch
    with pytest.raises(ValidationProblem, match="checklist incomplete"):
        lifecycle.do_advance(crew.uow(crew.operator), "start", [a])
    result = do_record_checks(crew.uow(crew.operator), full_checklist(a) + full_checklist(b))
    assert result.recorded == 12 and result.stopped == []
    for step in ("start", "finish", "submit"):
        lifecycle.do_advance(crew.uow(crew.operator), step, [a, b])
    with pytest.raises(ValidationProblem, match="cannot review its own"):
        lifecycle.do_advance(crew.uow(crew.supervisor), "review", [a])
    lifecycle.do_advance(crew.uow(crew.leader), "review", [a, b])
    assert _order(crew, a).status == WorkOrderStatus.REVIEWED
    assert _count(crew, AuditEntry, action="workorder.reviewed") == 2
    with crew.world.platform.engine.connect() as conn:
        shas = conn.execute(select(FieldPhoto.sha256, func.length(FieldPhoto.content))).all()
    assert len(shas) == 12 and all(len(sha) == 64 and size > 100 for sha, size in shas)


def test_fld_2_no_submit_without_checklist(crew: Crew, fixed_now: clock.FixedClock) -> None:
    order = crew.order()
    _to_accepted(crew, order)
    # Force the order past start without its checklist, as a careless import might.
    with crew.world.platform.engine.begin() as conn:
        conn.execute(
            WorkOrder.__table__.update()
            .where(WorkOrder.id == order)
            .values(status=WorkOrderStatus.FINISHED.value)
        )
    with pytest.raises(ValidationProblem, match="no submit without the checklist"):
        lifecycle.do_advance(crew.uow(crew.operator), "submit", [order])
    assert _order(crew, order).status == WorkOrderStatus.FINISHED
    assert _count(crew, AuditEntry, action="workorder.submit_refused") == 1


def test_fld_2_steps_only_by_the_operator_and_batch_is_all_or_nothing(crew: Crew) -> None:
    mine = crew.order()
    other_worker = crew.world.staff(Post.FIELD_WORKER, "stationA")
    _to_accepted(crew, mine)
    with pytest.raises(ValidationProblem, match="only the order's operator"):
        lifecycle.do_advance(crew.uow(other_worker), "accept", [mine])
    planned = crew.order()
    with pytest.raises(ConflictError):  # one of the two is already accepted
        lifecycle.do_dispatch(crew.uow(crew.leader), [planned, mine])
    assert _order(crew, planned).status == WorkOrderStatus.ASSIGNED
    outsider = crew.world.staff(Post.TEAM_LEADER, "stationB")
    with pytest.raises(NotFoundError):
        lifecycle.do_dispatch(crew.uow(outsider), [planned])


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        ("no_exif", "no EXIF"),
        ("no_gps", "no EXIF GPS"),
        ("elsewhere", "from the site"),
        ("yesterday", "outside the working window"),
        ("png", "must be a JPEG"),
    ],
)
def test_fld_2_bad_photos_refused_logged_nothing_written(
    crew: Crew, photo: str, message: str
) -> None:
    order = crew.order()
    _to_accepted(crew, order)
    now = clock.now()
    content = {
        "no_exif": lambda: exif_photo(None, None, None),
        "no_gps": lambda: exif_photo(now, None, None),
        "elsewhere": lambda: exif_photo(now, SITE[0] + Decimal("0.002"), SITE[1]),  # ~220 m
        "yesterday": lambda: exif_photo(now - timedelta(days=1)),
        "png": lambda: _png(),
    }[photo]()
    items = full_checklist(order)
    items[-1] = CheckIn(order, items[-1].item, True, content, items[-1].value)
    with pytest.raises(ValidationProblem, match=message):
        do_record_checks(crew.uow(crew.operator), items)
    assert _count(crew, OrderCheck) == 0 and _count(crew, FieldPhoto) == 0
    assert _count(crew, AuditEntry, action="workorder.checklist_refused") == 1


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    return out.getvalue()


def test_fld_2_one_photo_proves_one_item(crew: Crew) -> None:
    order = crew.order()
    _to_accepted(crew, order)
    items = full_checklist(order)
    items[1] = CheckIn(order, items[1].item, True, items[0].photo)
    with pytest.raises(ConflictError, match="photo was already used"):
        do_record_checks(crew.uow(crew.operator), items)
    assert _count(crew, OrderCheck) == 0


def test_fld_2_ground_resistance_above_4_ohm_stops_and_opens_repair(crew: Crew) -> None:
    order = crew.order()
    _to_accepted(crew, order)
    result = do_record_checks(crew.uow(crew.operator), full_checklist(order, ohms="4.6"))
    assert result.stopped == [_order(crew, order).number]
    stopped = _order(crew, order)
    assert stopped.status == WorkOrderStatus.STOPPED and "4.6" in (stopped.stop_reason or "")
    repair = _order(crew, result.repair_orders[0])
    assert repair.kind == WorkOrderKind.REPAIR and repair.parent_id == order
    assert repair.status == WorkOrderStatus.OPEN
    assert _count(crew, FieldAlarm, kind="ground_resistance") == 1
    with pytest.raises(ConflictError):
        lifecycle.do_advance(crew.uow(crew.operator), "start", [order])
    # exactly 4 Ω is acceptable
    ok = crew.order()
    _to_accepted(crew, ok)
    assert do_record_checks(crew.uow(crew.operator), full_checklist(ok, ohms="4")).stopped == []
    assert _count(crew, OrderCheck, item=CheckItem.GROUND_RESISTANCE.value, ok=False) == 1
