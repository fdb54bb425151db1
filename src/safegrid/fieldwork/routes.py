"""Work order API (IAM-7): a contractor's list holds only his own live orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from safegrid.bootstrap import get_platform
from safegrid.fieldwork import services
from safegrid.fieldwork.models import WorkOrderKind, WorkOrderStatus
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm

router = APIRouter(prefix="/api/workorders", tags=["fieldwork 现场作业"])


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
    meter_id: int
    meter_asset_no: str
    latitude: Decimal
    longitude: Decimal
    address: str | None = Field(description="supply point address, masked (DATA-3)")


class WorkOrderCreated(BaseModel):
    id: int


@router.get("", response_model=list[WorkOrderOut])
def list_orders(
    live_only: bool = True, actor: Actor = Depends(require(Perm.WORKORDERS_VIEW))
) -> list[WorkOrderOut]:
    rows = services.list_work_orders(get_platform().uow(actor, readonly=True), live_only=live_only)
    return [WorkOrderOut.model_validate(r) for r in rows]


@router.post("", response_model=WorkOrderCreated, status_code=status.HTTP_201_CREATED)
def open_order(
    body: WorkOrderIn, actor: Actor = Depends(require(Perm.WORKORDERS_ASSIGN))
) -> WorkOrderCreated:
    data = services.NewWorkOrder(body.kind, body.meter_id, body.planned_on, body.assignee_id)
    return WorkOrderCreated(id=services.do_open_work_order(get_platform().uow(actor), data))


@router.post("/{work_order_id}/assign", status_code=status.HTTP_204_NO_CONTENT)
def assign(
    work_order_id: int, body: AssignIn, actor: Actor = Depends(require(Perm.WORKORDERS_ASSIGN))
) -> None:
    services.do_assign(get_platform().uow(actor), work_order_id, body.assignee_id)


@router.post("/{work_order_id}/close", status_code=status.HTTP_204_NO_CONTENT)
def close(
    work_order_id: int, body: CloseIn, actor: Actor = Depends(require(Perm.WORKORDERS_ASSIGN))
) -> None:
    services.do_close(get_platform().uow(actor), work_order_id, cancelled=body.cancelled)
