"""Work order API (IAM-7): a contractor's list holds only his own live orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from safegrid.fieldwork import safety_routes, services
from safegrid.fieldwork.models import WorkOrderKind, WorkOrderStatus
from safegrid.security.api_access import WorkordersAssign, WorkordersView

orders = APIRouter(prefix="/api/workorders", tags=["fieldwork 现场作业"])


class WorkOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: WorkOrderKind
    meter_id: int = Field(gt=0)
    planned_on: date
    assignee_id: int | None = Field(None, gt=0)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: int | None = Field(None, gt=0)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cancelled: bool = False


class WorkOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    kind: WorkOrderKind
    status: WorkOrderStatus
    planned_on: date
    org_unit_id: int
    assignee_id: int | None
    meter_id: int | None
    meter_asset_no: str | None
    latitude: Decimal
    longitude: Decimal
    address: str | None = Field(description="supply point address, masked (DATA-3)")


class WorkOrderCreated(BaseModel):
    id: int


@orders.get("", response_model=list[WorkOrderOut])
def list_orders(work: WorkordersView, live_only: bool = True) -> list[WorkOrderOut]:
    rows = services.list_work_orders(work.read(), live_only=live_only)
    return [WorkOrderOut.model_validate(r) for r in rows]


@orders.post("", response_model=WorkOrderCreated, status_code=status.HTTP_201_CREATED)
def open_order(body: WorkOrderIn, work: WorkordersAssign) -> WorkOrderCreated:
    data = services.NewWorkOrder(body.kind, body.meter_id, body.planned_on, body.assignee_id)
    return WorkOrderCreated(id=services.do_open_work_order(work.write(), data))


@orders.post("/{work_order_id}/assign", status_code=status.HTTP_204_NO_CONTENT)
def assign(work_order_id: int, body: AssignIn, work: WorkordersAssign) -> None:
    services.do_assign(work.write(), work_order_id, body.assignee_id)


@orders.post("/{work_order_id}/close", status_code=status.HTTP_204_NO_CONTENT)
def close(work_order_id: int, body: CloseIn, work: WorkordersAssign) -> None:
    services.do_close(work.write(), work_order_id, cancelled=body.cancelled)


# app.py includes ``router``: the orders above and the field safety routes (FLD-1..8, OPS-6).
router = APIRouter()
router.include_router(orders)
router.include_router(safety_routes.router)
