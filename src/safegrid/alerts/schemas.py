"""Alert responses. ``before``/``after`` were masked when the alert was raised (DATA-3)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    raised_at: datetime
    key_field: str
    object_type: str
    object_id: str
    object_label: str | None
    fields: str
    before: str | None
    after: str | None
    changed_by: str
    channel: str
    audit_seq: int | None
    recipients: str
    notified: int
    org_unit_id: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
