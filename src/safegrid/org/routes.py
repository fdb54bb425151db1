"""Org tree API."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from safegrid.bootstrap import get_platform
from safegrid.org import services
from safegrid.org.schemas import UnitCreate, UnitOut
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm

router = APIRouter(prefix="/api/org", tags=["org 组织"])


@router.get("/units", response_model=list[UnitOut])
def list_units(actor: Actor = Depends(require(Perm.ORG_VIEW))) -> list[UnitOut]:
    return services.list_units(get_platform().uow(actor, readonly=True))


@router.get("/units/{unit_id}", response_model=UnitOut)
def read_unit(unit_id: int, actor: Actor = Depends(require(Perm.ORG_VIEW))) -> UnitOut:
    return services.get_unit(get_platform().uow(actor, readonly=True), unit_id)


@router.post("/units", response_model=UnitOut, status_code=status.HTTP_201_CREATED)
def create_unit(body: UnitCreate, actor: Actor = Depends(require(Perm.ORG_MANAGE))) -> UnitOut:
    platform = get_platform()
    unit_id = services.do_create_unit(platform.uow(actor), body)
    return services.get_unit(platform.uow(actor, readonly=True), unit_id)
