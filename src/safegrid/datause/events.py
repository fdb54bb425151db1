"""Facts of data use, published after commit and kept in the outbox."""

from __future__ import annotations

import dataclasses

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class DataUseRequested(Event):
    request_id: int
    requester_id: int
    kind: str


@dataclasses.dataclass(frozen=True)
class DataUseRequestDecided(Event):
    request_id: int
    step: str  # "head" | "dso"
    approved: bool
    decided_by: int | None


@dataclasses.dataclass(frozen=True)
class DataUseGranted(Event):
    grant_id: int
    request_id: int
    grantee_id: int
    valid_to: str


@dataclasses.dataclass(frozen=True)
class DataUseGrantRevoked(Event):
    grant_id: int
    grantee_id: int
    revoked_by: int | None


@dataclasses.dataclass(frozen=True)
class SensitiveValueRevealed(Event):
    access_log_id: int
    customer_id: int
    field: str
    staff_id: int | None


@dataclasses.dataclass(frozen=True)
class DataExported(Event):
    export_id: int
    operator_id: int | None
    row_count: int
    request_id: int | None


@dataclasses.dataclass(frozen=True)
class AccessLogsPurged(Event):
    deleted: int
    cutoff: str
