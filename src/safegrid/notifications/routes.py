"""The notification outbox over the API (recipients masked)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from safegrid.notifications import services
from safegrid.notifications.schemas import NotificationOut
from safegrid.platform.paging import Page, PageQuery
from safegrid.security.api_access import NotificationsView

router = APIRouter(prefix="/api", tags=["notifications 通知"])


@router.get("/notifications", response_model=Page[NotificationOut])
def list_notifications(
    work: NotificationsView,
    status: str | None = Query(None, max_length=16, description="queued | sent | failed"),
    topic: str | None = Query(None, max_length=48),
    page: int = Query(1, ge=1),
    size: int = Query(20, ge=1, le=200),
) -> Page[NotificationOut]:
    return services.list_notifications(work.read(), status, topic, PageQuery(page=page, size=size))
