"""Org tree API."""

from __future__ import annotations

from fastapi import APIRouter, status

from safegrid.org import services
from safegrid.org.schemas import UnitCreate, UnitOut
from safegrid.security.api_access import OrgManage, OrgView

router = APIRouter(prefix="/api/org", tags=["org 组织"])


@router.get("/units", response_model=list[UnitOut])
def list_units(work: OrgView) -> list[UnitOut]:
    return services.list_units(work.read())


@router.get("/units/{unit_id}", response_model=UnitOut)
def read_unit(unit_id: int, work: OrgView) -> UnitOut:
    return services.get_unit(work.read(), unit_id)


@router.post("/units", response_model=UnitOut, status_code=status.HTTP_201_CREATED)
def create_unit(body: UnitCreate, work: OrgManage) -> UnitOut:
    unit_id = services.do_create_unit(work.write(), body)
    return services.get_unit(work.read(), unit_id)
