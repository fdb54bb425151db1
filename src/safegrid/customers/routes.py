"""Customer archive API: parse → guard → service. No queries here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from safegrid.bootstrap import get_platform
from safegrid.customers import services
from safegrid.customers.schemas import (
    CustomerCreate,
    CustomerDetail,
    CustomerOut,
    CustomerUpdate,
    DirectDebitUpdate,
    MeterCreate,
    MeterOut,
)
from safegrid.platform.paging import Page, Paging
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm

router = APIRouter(prefix="/api", tags=["customers 客户档案"])


@router.get("/customers", response_model=Page[CustomerOut])
def list_customers(
    paging: Paging,
    actor: Actor = Depends(require(Perm.CUSTOMERS_VIEW)),
    q: str | None = Query(None, max_length=100, description="name, number, mobile or ID number"),
    kind: str | None = Query(None, description="resident | enterprise"),
    org_unit_id: int | None = Query(None, gt=0),
) -> Page[CustomerOut]:
    return services.search_customers(
        get_platform().uow(actor, readonly=True), q, kind, org_unit_id, paging
    )


@router.post("/customers", status_code=status.HTTP_201_CREATED, response_model=CustomerDetail)
def register_customer(
    body: CustomerCreate, actor: Actor = Depends(require(Perm.CUSTOMERS_EDIT))
) -> CustomerDetail:
    platform = get_platform()
    customer_id = services.do_register_customer(platform.uow(actor), body)
    return services.get_customer(platform.uow(actor, readonly=True), customer_id)


@router.get("/customers/{customer_id}", response_model=CustomerDetail)
def read_customer(
    customer_id: int, actor: Actor = Depends(require(Perm.CUSTOMERS_VIEW))
) -> CustomerDetail:
    return services.get_customer(get_platform().uow(actor, readonly=True), customer_id)


@router.patch("/customers/{customer_id}", response_model=CustomerDetail)
def update_customer(
    customer_id: int, body: CustomerUpdate, actor: Actor = Depends(require(Perm.CUSTOMERS_EDIT))
) -> CustomerDetail:
    platform = get_platform()
    services.do_update_customer(platform.uow(actor), customer_id, body)
    return services.get_customer(platform.uow(actor, readonly=True), customer_id)


@router.put(
    "/power-accounts/{power_account_id}/direct-debit", status_code=status.HTTP_204_NO_CONTENT
)
def set_direct_debit(
    power_account_id: int,
    body: DirectDebitUpdate,
    actor: Actor = Depends(require(Perm.CUSTOMERS_EDIT)),
) -> None:
    """Sign a billing account (户号) up for bank direct debit, or cancel it (both null)."""
    services.do_set_direct_debit(get_platform().uow(actor), power_account_id, body)


@router.post(
    "/customers/{customer_id}/meters", status_code=status.HTTP_201_CREATED, response_model=MeterOut
)
def install_meter(
    customer_id: int, body: MeterCreate, actor: Actor = Depends(require(Perm.METERS_EDIT))
) -> MeterOut:
    platform = get_platform()
    meter_id = services.do_install_meter(platform.uow(actor), customer_id, body)
    return services.get_meter(platform.uow(actor, readonly=True), meter_id)


@router.get("/meters", response_model=Page[MeterOut])
def list_meters(
    paging: Paging,
    actor: Actor = Depends(require(Perm.METERS_VIEW)),
    reading_area_id: int | None = Query(None, gt=0),
) -> Page[MeterOut]:
    return services.list_meters(get_platform().uow(actor, readonly=True), reading_area_id, paging)


@router.get("/meters/{meter_id}", response_model=MeterOut)
def read_meter(meter_id: int, actor: Actor = Depends(require(Perm.METERS_VIEW))) -> MeterOut:
    return services.get_meter(get_platform().uow(actor, readonly=True), meter_id)
