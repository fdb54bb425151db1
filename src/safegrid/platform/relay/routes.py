"""The relay over the API (ADR 0016): backlog status, webhook subscriptions, dead
deliveries and re-queueing them. System administrators only: a webhook sends the whole
utility's events out of the platform."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from safegrid.bootstrap import get_platform
from safegrid.platform.relay import services
from safegrid.platform.relay.schemas import (
    DeliveryOut,
    RelayStatus,
    RequeueRequest,
    RequeueResult,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
)
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm

router = APIRouter(prefix="/api/events", tags=["events 事件"])


@router.get("/status", response_model=RelayStatus)
def relay_status(actor: Actor = Depends(require(Perm.EVENTS_VIEW))) -> RelayStatus:
    platform = get_platform()
    return services.status(
        platform.uow(actor, readonly=True), platform.settings.events_stale_minutes
    )


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(actor: Actor = Depends(require(Perm.EVENTS_VIEW))) -> list[WebhookOut]:
    return services.list_webhooks(get_platform().uow(actor, readonly=True))


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
def create_webhook(
    body: WebhookCreate, actor: Actor = Depends(require(Perm.EVENTS_MANAGE))
) -> WebhookCreated:
    return services.do_create_webhook(get_platform().uow(actor), body)


@router.post("/webhooks/{webhook_id}/disable", response_model=WebhookOut)
def disable_webhook(
    webhook_id: int, actor: Actor = Depends(require(Perm.EVENTS_MANAGE))
) -> WebhookOut:
    return services.do_disable_webhook(get_platform().uow(actor), webhook_id)


@router.get("/deliveries/dead", response_model=list[DeliveryOut])
def dead_deliveries(actor: Actor = Depends(require(Perm.EVENTS_VIEW))) -> list[DeliveryOut]:
    return services.list_deliveries(get_platform().uow(actor, readonly=True))


@router.post("/deliveries/requeue", response_model=RequeueResult)
def requeue(
    body: RequeueRequest, actor: Actor = Depends(require(Perm.EVENTS_MANAGE))
) -> RequeueResult:
    return services.do_requeue(get_platform().uow(actor), body.delivery_ids)
