"""Org tree use cases (ORG-1). Units are read and created only inside the caller's subtree."""

from __future__ import annotations

from sqlalchemy import select

from safegrid.org.models import ALLOWED_PARENT, OrgUnit
from safegrid.org.schemas import UnitCreate, UnitOut
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot
from safegrid.security.scope import unscoped


def list_units(uow: UnitOfWork) -> list[UnitOut]:
    with uow:
        units = uow.session.scalars(select(OrgUnit).order_by(OrgUnit.path)).all()
        return [UnitOut.model_validate(u) for u in units]


def get_unit(uow: UnitOfWork, unit_id: int) -> UnitOut:
    with uow:
        unit = uow.session.scalars(select(OrgUnit).where(OrgUnit.id == unit_id)).first()
        if unit is None:
            raise NotFoundError("组织单位不存在 / org unit not found")
        return UnitOut.model_validate(unit)


def do_create_unit(uow: UnitOfWork, data: UnitCreate) -> int:
    with uow:
        parent = uow.session.scalars(select(OrgUnit).where(OrgUnit.id == data.parent_id)).first()
        if parent is None:
            raise ValidationProblem("上级单位不存在 / unknown parent unit", field="parent_id")
        if parent.kind not in ALLOWED_PARENT[data.kind]:
            raise ValidationProblem(
                f"{data.kind.value} cannot sit under a {parent.kind.value}", field="kind"
            )
        clash = uow.session.scalar(
            select(OrgUnit.id).where(OrgUnit.code == data.code),
            execution_options=unscoped("org unit codes are unique utility-wide"),
        )
        if clash is not None:
            raise ConflictError("单位编码已存在 / unit code already used", field="code")
        unit = OrgUnit(
            code=data.code,
            name=data.name,
            name_en=data.name_en,
            kind=data.kind,
            parent_id=parent.id,
            path=f"pending-{data.code}",
        )
        uow.session.add(unit)
        uow.session.flush()
        unit.path = f"{parent.path}{unit.id}/"
        uow.audit(
            "org.create_unit",
            object_type="org_unit",
            object_id=unit.id,
            org_unit_id=unit.id,
            after=snapshot(unit),
        )
        uow.commit()
        return unit.id
