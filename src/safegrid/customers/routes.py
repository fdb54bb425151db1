"""Customer archive API: parse → guard → service. No queries here."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

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
from safegrid.security.api_access import CustomersEdit, CustomersView, MetersEdit, MetersView

router = APIRouter(prefix="/api", tags=["customers 客户档案"])


@router.get("/customers", response_model=Page[CustomerOut])
def list_customers(
    paging: Paging,
    work: CustomersView,
    q: str | None = Query(None, max_length=100, description="name, number, mobile or ID number"),
    kind: str | None = Query(None, description="resident | enterprise"),
    org_unit_id: int | None = Query(None, gt=0),
) -> Page[CustomerOut]:
    return services.search_customers(work.read(), q, kind, org_unit_id, paging)


@router.post("/customers", status_code=status.HTTP_201_CREATED, response_model=CustomerDetail)
def register_customer(body: CustomerCreate, work: CustomersEdit) -> CustomerDetail:
    customer_id = services.do_register_customer(work.write(), body)
    return services.get_customer(work.read(), customer_id)


@router.get("/customers/{customer_id}", response_model=CustomerDetail)
def read_customer(customer_id: int, work: CustomersView) -> CustomerDetail:
    return services.get_customer(work.read(), customer_id)


@router.patch("/customers/{customer_id}", response_model=CustomerDetail)
def update_customer(customer_id: int, body: CustomerUpdate, work: CustomersEdit) -> CustomerDetail:
    services.do_update_customer(work.write(), customer_id, body)
    return services.get_customer(work.read(), customer_id)


@router.put(
    "/power-accounts/{power_account_id}/direct-debit", status_code=status.HTTP_204_NO_CONTENT
)
def set_direct_debit(
    power_account_id: int,
    body: DirectDebitUpdate,
    work: CustomersEdit,
) -> None:
    """Sign a billing account (户号) up for bank direct debit, or cancel it (both null)."""
    services.do_set_direct_debit(work.write(), power_account_id, body)


@router.post(
    "/customers/{customer_id}/meters", status_code=status.HTTP_201_CREATED, response_model=MeterOut
)
def install_meter(customer_id: int, body: MeterCreate, work: MetersEdit) -> MeterOut:
    meter_id = services.do_install_meter(work.write(), customer_id, body)
    return services.get_meter(work.read(), meter_id)


@router.get("/meters", response_model=Page[MeterOut])
def list_meters(
    paging: Paging,
    work: MetersView,
    reading_area_id: int | None = Query(None, gt=0),
) -> Page[MeterOut]:
    return services.list_meters(work.read(), reading_area_id, paging)


@router.get("/meters/{meter_id}", response_model=MeterOut)
def read_meter(meter_id: int, work: MetersView) -> MeterOut:
    return services.get_meter(work.read(), meter_id)
