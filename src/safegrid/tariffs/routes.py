"""Tariff configuration API: parse → guard → service. No queries here."""

from __future__ import annotations

from fastapi import APIRouter, status

from safegrid.security.api_access import TariffsManage, TariffsView
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
def list_tariffs(work: TariffsView) -> list[TariffOut]:
    return services.list_tariffs(work.read())


@router.post("/tariffs", status_code=status.HTTP_201_CREATED, response_model=TariffOut)
def create_tariff(body: TariffCreate, work: TariffsManage) -> TariffOut:
    tariff_id = services.do_create_tariff(work.write(), body)
    return services.get_tariff(work.read(), tariff_id)


@router.get("/tariffs/{tariff_id}", response_model=TariffOut)
def read_tariff(tariff_id: int, work: TariffsView) -> TariffOut:
    return services.get_tariff(work.read(), tariff_id)


@router.post(
    "/tariffs/{tariff_id}/versions", status_code=status.HTTP_201_CREATED, response_model=VersionOut
)
def add_version(tariff_id: int, body: VersionCreate, work: TariffsManage) -> VersionOut:
    """A new price version from the 1st of a month. Overlaps are refused unless
    ``close_current`` ends the open version the month before."""
    version_id = services.do_add_tariff_version(work.write(), tariff_id, body)
    return services.version_out(work.read(), version_id)


@router.patch("/tariff-versions/{version_id}", response_model=VersionOut)
def update_version(version_id: int, body: VersionUpdate, work: TariffsManage) -> VersionOut:
    """Correct a version no bill has used yet (409 once a bill used it)."""
    services.do_update_tariff_version(work.write(), version_id, body)
    return services.version_out(work.read(), version_id)
