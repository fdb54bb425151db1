"""Tariff configuration API: parse → guard → service. No queries here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from safegrid.bootstrap import get_platform
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm
from safegrid.tariffs import services
from safegrid.tariffs.schemas import (
    TariffCreate,
    TariffOut,
    VersionCreate,
    VersionOut,
    VersionUpdate,
)

router = APIRouter(prefix="/api", tags=["tariffs 电价"])


@router.get("/tariffs", response_model=list[TariffOut])
def list_tariffs(actor: Actor = Depends(require(Perm.TARIFFS_VIEW))) -> list[TariffOut]:
    return services.list_tariffs(get_platform().uow(actor, readonly=True))


@router.post("/tariffs", status_code=status.HTTP_201_CREATED, response_model=TariffOut)
def create_tariff(
    body: TariffCreate, actor: Actor = Depends(require(Perm.TARIFFS_MANAGE))
) -> TariffOut:
    platform = get_platform()
    tariff_id = services.do_create_tariff(platform.uow(actor), body)
    return services.get_tariff(platform.uow(actor, readonly=True), tariff_id)


@router.get("/tariffs/{tariff_id}", response_model=TariffOut)
def read_tariff(tariff_id: int, actor: Actor = Depends(require(Perm.TARIFFS_VIEW))) -> TariffOut:
    return services.get_tariff(get_platform().uow(actor, readonly=True), tariff_id)


@router.post(
    "/tariffs/{tariff_id}/versions", status_code=status.HTTP_201_CREATED, response_model=VersionOut
)
def add_version(
    tariff_id: int, body: VersionCreate, actor: Actor = Depends(require(Perm.TARIFFS_MANAGE))
) -> VersionOut:
    """A new price version from the 1st of a month. Overlaps are refused unless
    ``close_current`` ends the open version the month before."""
    platform = get_platform()
    version_id = services.do_add_tariff_version(platform.uow(actor), tariff_id, body)
    return services.version_out(platform.uow(actor, readonly=True), version_id)


@router.patch("/tariff-versions/{version_id}", response_model=VersionOut)
def update_version(
    version_id: int, body: VersionUpdate, actor: Actor = Depends(require(Perm.TARIFFS_MANAGE))
) -> VersionOut:
    """Correct a version no bill has used yet (409 once a bill used it)."""
    platform = get_platform()
    services.do_update_tariff_version(platform.uow(actor), version_id, body)
    return services.version_out(platform.uow(actor, readonly=True), version_id)
