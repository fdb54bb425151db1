"""Hall terminal API (HALL-5): staff register terminals and work their faults (ORG-2
scope); the devices call ``/api/hall/device/*`` with their own credentials (protocol in
``safegrid.hall.terminals``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from safegrid.bootstrap import get_platform
from safegrid.hall import terminals
from safegrid.hall.terminals import (
    Device,
    FaultOut,
    FaultReport,
    FaultUpdate,
    TerminalCreate,
    TerminalCreated,
)
from safegrid.platform.errors import AuthenticationError
from safegrid.security.actor import Actor
from safegrid.security.api_access import HallManage, HallView
from safegrid.security.guards import public
from safegrid.terminals.access import parse_authorization

router = APIRouter(prefix="/api/hall", tags=["hall 营业厅"])


@router.post("/terminals", response_model=TerminalCreated, status_code=201)
def register(body: TerminalCreate, work: HallManage) -> TerminalCreated:
    """Register a terminal; its secret is in this answer only."""
    return terminals.do_register(work.write(), body)


@router.get("/faults", response_model=list[FaultOut])
def faults(
    work: HallView, status: str = Query("", pattern="^(|open|handling|closed)$")
) -> list[FaultOut]:
    return terminals.list_faults(work.read(), status or None)


@router.put("/faults/{fault_id}", response_model=FaultOut)
def update_fault(fault_id: int, body: FaultUpdate, work: HallManage) -> FaultOut:
    return terminals.do_update_fault(work.write(), fault_id, body)


def _device(request: Request) -> Device:
    found = parse_authorization(request.headers.get("authorization", ""))
    if found is None:
        raise AuthenticationError(terminals.REFUSED)
    uow = get_platform().uow(Actor.system("hall-terminal-auth", "api"), readonly=True)
    return terminals.authenticate(uow, *found)


DeviceCall = Annotated[Device, Depends(_device)]


@router.post(
    "/device/heartbeat",
    dependencies=[Depends(public("hall terminal heartbeat: the terminal's own credential"))],
)
def heartbeat(device: DeviceCall) -> dict[str, object]:
    platform = get_platform()
    return terminals.do_heartbeat(platform.uow(terminals.device_actor(device)), device)


@router.post(
    "/device/faults",
    status_code=201,
    dependencies=[Depends(public("hall terminal fault report: the terminal's own credential"))],
)
def report_fault(body: FaultReport, device: DeviceCall) -> dict[str, int]:
    platform = get_platform()
    fault_id = terminals.do_report_fault(platform.uow(terminals.device_actor(device)), device, body)
    return {"fault_id": fault_id}
