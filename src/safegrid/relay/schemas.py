"""Request and response shapes of webhook subscriptions and relay status (ADR 0016)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safegrid.platform.events import parse_patterns

MAX_REQUEUE = 1000


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=80)
    url: str = Field(min_length=8, max_length=500)
    # Comma-separated: event names, prefixes ending in * (``Payment*``), or * for all.
    events: str = Field(min_length=1, max_length=500)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("回调地址须为 http(s)://主机/路径 / url must be http(s)://host/path")
        if parts.username or parts.password:
            raise ValueError("回调地址不得包含账号密码 / url must not carry credentials")
        return value

    @field_validator("events")
    @classmethod
    def _patterns(cls, value: str) -> str:
        return ",".join(parse_patterns(value))


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    url: str
    events: str
    active: bool
    created_at: datetime
    created_by: str
    disabled_at: datetime | None
    disabled_by: str | None


class WebhookCreated(BaseModel):
    """The secret is shown once, here; afterwards it is only stored encrypted."""

    webhook: WebhookOut
    secret: str


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: int
    topic: str
    target: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime


class RequeueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery_ids: list[int] = Field(min_length=1, max_length=MAX_REQUEUE)


class RequeueResult(BaseModel):
    requeued: int


class RelayStatus(BaseModel):
    unpublished: int  # events not yet delivered to every target
    oldest_unpublished_at: datetime | None
    oldest_age_seconds: float | None
    retrying: int  # deliveries that failed and wait for their next attempt
    dead: int  # deliveries given up on: a person looks, then re-queues
    active_webhooks: int
    stale_after_minutes: int
    needs_attention: bool  # something dead, or the oldest waiting event is stale
