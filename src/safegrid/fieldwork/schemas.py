"""API bodies of field work (FLD-1..8, OPS-6 field side)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from safegrid.fieldwork.rectification import Colour
from safegrid.fieldwork.safety_models import CheckItem

KEY = r"^[A-Za-z0-9_-]{8,64}$"


class Ids(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(min_length=1, max_length=200)


class StepIn(Ids):
    action: Literal["accept", "start", "finish", "submit"]


class Numbers(BaseModel):
    numbers: list[str]


class KitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holder_id: int = Field(gt=0)
    pieces: dict[str, str]


class KitTestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kit_number: str = Field(min_length=1, max_length=32)
    certificate_no: str = Field(min_length=3, max_length=64)
    tested_on: date
    results: dict[str, bool]


class RectifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: int = Field(gt=0)
    colour: Colour
    reason: str = Field(min_length=2, max_length=300)
    work_order_id: int | None = Field(None, gt=0)


class ProgressIn(BaseModel):
    """Retraining hours of a red rectification, or the written review of a yellow one."""

    model_config = ConfigDict(extra="forbid")

    retraining_hours: Decimal = Field(Decimal(0), ge=0, le=24, allow_inf_nan=False)
    written_review: bool = False


class ProgressOut(BaseModel):
    cleared: bool


# A phone photo of up to ~9 MB as base64. The app sends one sync request per ~8 MB of
# photos (ADR 0034), so one request holds at most one photo of this size and the rest.
MAX_PHOTO_CHARS = 12_000_000


class SyncAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY, description="the action's idempotency key (device-made)")
    kind: Literal["accept", "start", "finish", "submit", "check", "position"]
    order_id: int = Field(gt=0)
    item: CheckItem | None = None
    ok: bool | None = None
    value: Decimal | None = Field(None, ge=0, le=100000)
    photo: str | None = Field(None, max_length=MAX_PHOTO_CHARS, description="JPEG, base64")
    lat: Decimal | None = Field(None, ge=-90, le=90)
    lon: Decimal | None = Field(None, ge=-180, le=180)
    at: datetime | None = None


class SyncBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_key: str = Field(pattern=KEY)
    actions: list[SyncAction] = Field(min_length=1, max_length=200)


class SyncResultOut(BaseModel):
    key: str
    status: Literal["applied", "replayed", "refused"]
    message: str | None = None


class FieldOrderOut(BaseModel):
    id: int
    number: str
    kind: str
    status: str
    risk: str
    planned_on: date
    window_start: datetime
    window_end: datetime
    site_lat: Decimal
    site_lon: Decimal
    meter_asset_no: str | None
    address: str | None
    checked: list[str]
