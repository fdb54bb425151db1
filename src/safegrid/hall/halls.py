"""Halls and their windows (HALL-1): a hall is an org unit of kind ``hall`` with a profile
(address, opening hours, HALL-4 thresholds); its windows serve a set of business types."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from safegrid.hall import store
from safegrid.hall.models import HallProfile, HallWindow
from safegrid.hall.schemas import (
    HallCreate,
    HallOut,
    HallUpdate,
    WindowCreate,
    WindowOut,
    WindowUpdate,
)
from safegrid.org.models import ALLOWED_PARENT, OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot
from safegrid.security.scope import unscoped

NO_HALL = "营业厅不存在 / hall not found"
NO_WINDOW = "窗口不存在 / window not found"


def _out(unit: OrgUnit, profile: HallProfile) -> HallOut:
    return HallOut(
        id=unit.id,
        code=unit.code,
        name=unit.name,
        name_en=unit.name_en,
        path=unit.path,
        address=profile.address,
        opens_at=profile.opens_at,
        closes_at=profile.closes_at,
        queue_threshold=profile.queue_threshold,
        wait_limit_minutes=profile.wait_limit_minutes,
    )


def hall_with_profile(uow: UnitOfWork, hall_id: int) -> tuple[OrgUnit, HallProfile]:
    """The hall in the caller's scope (404 outside it, like every other object)."""
    row = uow.session.execute(
        select(OrgUnit, HallProfile)
        .join(HallProfile, HallProfile.org_unit_id == OrgUnit.id)
        .where(OrgUnit.id == hall_id, OrgUnit.kind == UnitKind.HALL)
    ).first()
    if row is None:
        raise NotFoundError(NO_HALL)
    return row[0], row[1]


_THRESHOLD = (
    select(HallProfile.queue_threshold)
    .join(OrgUnit, HallProfile.org_unit_id == OrgUnit.id)
    .where(OrgUnit.id == bindparam("hall"), OrgUnit.kind == UnitKind.HALL)
)


def hall_threshold(uow: UnitOfWork, hall_id: int) -> int:
    """The queue threshold of a hall in the caller's scope (404 outside it): what taking a
    ticket needs, read as two columns (the entities cost a ticket ~0.3 ms of CPU)."""
    threshold = uow.session.scalar(_THRESHOLD, {"hall": hall_id})
    if threshold is None:
        raise NotFoundError(NO_HALL)
    return int(threshold)


def list_halls(uow: UnitOfWork) -> list[HallOut]:
    with uow:
        rows = uow.session.execute(
            select(OrgUnit, HallProfile)
            .join(HallProfile, HallProfile.org_unit_id == OrgUnit.id)
            .order_by(OrgUnit.path)
        ).all()
        return [_out(u, p) for u, p in rows]


def get_hall(uow: UnitOfWork, hall_id: int) -> HallOut:
    with uow:
        return _out(*hall_with_profile(uow, hall_id))


def do_create_hall(uow: UnitOfWork, data: HallCreate) -> HallOut:
    """A new hall in the org tree under a county or city of the caller's scope."""
    with uow:
        s = uow.session
        parent = s.scalars(select(OrgUnit).where(OrgUnit.id == data.parent_id)).first()
        if parent is None:
            raise ValidationProblem("上级单位不存在 / unknown parent unit", field="parent_id")
        if parent.kind not in ALLOWED_PARENT[UnitKind.HALL]:
            raise ValidationProblem(
                "营业厅只能设在区县或市公司下 / a hall sits under a county or a city",
                field="parent_id",
            )
        clash = s.scalar(
            select(OrgUnit.id).where(OrgUnit.code == data.code),
            execution_options=unscoped("org unit codes are unique utility-wide"),
        )
        if clash is not None:
            raise ConflictError("单位编码已存在 / unit code already used", field="code")
        unit = OrgUnit(
            code=data.code,
            name=data.name,
            name_en=data.name_en,
            kind=UnitKind.HALL,
            parent_id=parent.id,
            path=f"pending-{data.code}",
        )
        s.add(unit)
        s.flush()
        unit.path = f"{parent.path}{unit.id}/"
        profile = HallProfile(
            org_unit_id=unit.id,
            address=data.address,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            queue_threshold=data.queue_threshold,
            wait_limit_minutes=data.wait_limit_minutes,
            updated_at=clock.now(),
        )
        s.add(profile)
        s.flush()
        uow.audit(
            "hall.create",
            object_type="hall",
            object_id=unit.id,
            org_unit_id=unit.id,
            after={**snapshot(unit), **_profile_facts(profile)},
        )
        store.append(uow, [store.Fact(unit.id, store.HALL_CHANGED, _profile_facts(profile))])
        uow.commit()
        return _out(unit, profile)


def _profile_facts(p: HallProfile) -> dict[str, object]:
    return {
        "address": p.address,
        "opens_at": p.opens_at.isoformat(),
        "closes_at": p.closes_at.isoformat(),
        "queue_threshold": p.queue_threshold,
        "wait_limit_minutes": p.wait_limit_minutes,
    }


def do_update_hall(uow: UnitOfWork, hall_id: int, data: HallUpdate) -> HallOut:
    with uow:
        unit, profile = hall_with_profile(uow, hall_id)
        before = _profile_facts(profile)
        for field, value in data.model_dump().items():
            setattr(profile, field, value)
        profile.updated_at = clock.now()
        uow.session.flush()
        uow.audit(
            "hall.update",
            object_type="hall",
            object_id=unit.id,
            org_unit_id=unit.id,
            before=before,
            after=_profile_facts(profile),
        )
        store.append(uow, [store.Fact(unit.id, store.HALL_CHANGED, _profile_facts(profile))])
        uow.commit()
        return _out(unit, profile)


def list_windows(uow: UnitOfWork, hall_id: int) -> list[WindowOut]:
    with uow:
        hall_with_profile(uow, hall_id)
        rows = uow.session.scalars(
            select(HallWindow).where(HallWindow.org_unit_id == hall_id).order_by(HallWindow.number)
        ).all()
        return [WindowOut.model_validate(w) for w in rows]


def window_in_scope(uow: UnitOfWork, window_id: int, *, lock: bool = False) -> HallWindow:
    """The window, if in the caller's scope; ``lock`` holds its row until the transaction
    ends (one press at a time per window)."""
    query = select(HallWindow).where(HallWindow.id == window_id)
    if lock:
        query = query.with_for_update(of=HallWindow)
    window = uow.session.scalars(query).first()
    if window is None:
        raise NotFoundError(NO_WINDOW)
    return window


def _window_fact(w: HallWindow) -> store.Fact:
    return store.Fact(
        w.org_unit_id,
        store.WINDOW_CHANGED,
        {"number": w.number, "name": w.name, "skills": w.skills, "status": w.status.value},
        window_id=w.id,
    )


def do_add_window(uow: UnitOfWork, hall_id: int, data: WindowCreate) -> WindowOut:
    with uow:
        hall_with_profile(uow, hall_id)
        window = HallWindow(org_unit_id=hall_id, **data.model_dump())
        uow.session.add(window)
        try:
            uow.session.flush()
        except IntegrityError:
            raise ConflictError(
                f"窗口号 {data.number} 已存在 / window {data.number} exists", field="number"
            ) from None
        uow.audit(
            "hall.window_add",
            object_type="hall_window",
            object_id=window.id,
            org_unit_id=hall_id,
            after=snapshot(window),
        )
        store.append(uow, [_window_fact(window)])
        uow.commit()
        return WindowOut.model_validate(window)


def do_update_window(uow: UnitOfWork, window_id: int, data: WindowUpdate) -> WindowOut:
    with uow:
        window = window_in_scope(uow, window_id)
        before = snapshot(window)
        for field, value in data.model_dump().items():
            setattr(window, field, value)
        uow.session.flush()
        uow.audit(
            "hall.window_update",
            object_type="hall_window",
            object_id=window.id,
            org_unit_id=window.org_unit_id,
            before=before,
            after=snapshot(window),
        )
        store.append(uow, [_window_fact(window)])
        uow.commit()
        return WindowOut.model_validate(window)
