"""The relay over the API (ADR 0016): backlog status, webhook subscriptions, dead
deliveries and re-queueing them. System administrators only: a webhook sends the whole
utility's events out of the platform."""

from __future__ import annotations

from fastapi import APIRouter

from safegrid.bootstrap import get_platform
from safegrid.relay import services
from safegrid.relay.schemas import (
    DeliveryOut,
    RelayStatus,
    RequeueRequest,
    RequeueResult,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
)
from safegrid.security.api_access import EventsManage, EventsView

router = APIRouter(prefix="/api/events", tags=["events 事件"])


@router.get("/status", response_model=RelayStatus)
def relay_status(work: EventsView) -> RelayStatus:
    platform = get_platform()
    return services.status(work.read(), platform.settings.events_stale_minutes)


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(work: EventsView) -> list[WebhookOut]:
    return services.list_webhooks(work.read())


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
def create_webhook(body: WebhookCreate, work: EventsManage) -> WebhookCreated:
    return services.do_create_webhook(work.write(), body)


@router.post("/webhooks/{webhook_id}/disable", response_model=WebhookOut)
def disable_webhook(webhook_id: int, work: EventsManage) -> WebhookOut:
    return services.do_disable_webhook(work.write(), webhook_id)


@router.get("/deliveries/dead", response_model=list[DeliveryOut])
def dead_deliveries(work: EventsView) -> list[DeliveryOut]:
    return services.list_deliveries(work.read())


@router.post("/deliveries/requeue", response_model=RequeueResult)
def requeue(body: RequeueRequest, work: EventsManage) -> RequeueResult:
    return services.do_requeue(work.write(), body.delivery_ids)
