"""Key-field alerts over the API (AUD-3)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from safegrid.alerts import services
from safegrid.alerts.schemas import AlertOut
from safegrid.platform.paging import Page, PageQuery
from safegrid.security.api_access import AlertsAck, AlertsView

router = APIRouter(prefix="/api", tags=["alerts 告警"])


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(
    work: AlertsView,
    open_only: bool = Query(False, alias="open", description="only unacknowledged alerts"),
    page: int = Query(1, ge=1),
    size: int = Query(20, ge=1, le=200),
) -> Page[AlertOut]:
    return services.list_alerts(work.read(), open_only, PageQuery(page=page, size=size))


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(alert_id: int, work: AlertsAck) -> AlertOut:
    return services.do_acknowledge(work.write(), alert_id)
