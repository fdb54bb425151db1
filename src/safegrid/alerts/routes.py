"""Key-field alerts over the API (AUD-3)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from safegrid.alerts import services
from safegrid.alerts.schemas import AlertOut
from safegrid.bootstrap import get_platform
from safegrid.platform.paging import Page, PageQuery
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm

router = APIRouter(prefix="/api", tags=["alerts 告警"])


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(
    actor: Actor = Depends(require(Perm.ALERTS_VIEW)),
    open_only: bool = Query(False, alias="open", description="only unacknowledged alerts"),
    page: int = Query(1, ge=1),
    size: int = Query(20, ge=1, le=200),
) -> Page[AlertOut]:
    return services.list_alerts(
        get_platform().uow(actor, readonly=True), open_only, PageQuery(page=page, size=size)
    )


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(alert_id: int, actor: Actor = Depends(require(Perm.ALERTS_ACK))) -> AlertOut:
    return services.do_acknowledge(get_platform().uow(actor), alert_id)
