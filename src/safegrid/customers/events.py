"""Facts of the customer archive, published after commit and kept in the outbox."""

from __future__ import annotations

import dataclasses

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class CustomerRegistered(Event):
    customer_id: int
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class MeterInstalled(Event):
    meter_id: int
    customer_id: int
    org_unit_id: int
