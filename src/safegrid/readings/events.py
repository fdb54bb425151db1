"""Facts of meter reading, published after commit and kept in the outbox."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class ReadingEntered(Event):
    read_id: int
    meter_id: int
    read_on: str
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class ReadingsImported(Event):
    batch_id: int
    kind: str  # csv / xlsx / ami
    readings: int
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class PeriodClosed(Event):
    """Monthly usage of ``period`` is frozen for the subtree of ``org_unit_id`` (the whole
    utility when ``utility_wide``); bill runs may start there."""

    period: str
    org_unit_id: int | None
    utility_wide: bool
    meters: int
    estimated: int


@dataclasses.dataclass(frozen=True)
class UsageCorrected(Event):
    """A closed month's usage of a meter changed; its bills are priced on the old figure
    until re-priced."""

    meter_id: int
    account_id: int
    period: str
    kwh_before: Decimal
    kwh: Decimal
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class ReadingQueued(Event):
    """An abnormal reading was confirmed by its reader and waits for review."""

    review_id: int
    meter_id: int
    kinds: str
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class ReadingReviewed(Event):
    """A reviewer accepted (stored as ``read_id``) or rejected a queued reading."""

    review_id: int
    meter_id: int
    accepted: bool
    read_id: int | None
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class WalkingOrderSet(Event):
    """A reading book's walking order was rewritten by its supervisor."""

    reading_area_id: int
    stops: int
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class CorrectionProposed(Event):
    """A closed month's usage correction waits for a second person's approval."""

    request_id: int
    meter_id: int
    period: str
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class CorrectionDecided(Event):
    """A proposed correction was approved (applied and re-priced) or rejected."""

    request_id: int
    meter_id: int
    period: str
    approved: bool
    org_unit_id: int
