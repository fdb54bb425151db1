"""Facts of tariff configuration (AUD-3: a tariff change is a key-field change managers
are alerted to; the notification side subscribes to these)."""

from __future__ import annotations

import dataclasses
from datetime import date

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class TariffCreated(Event):
    tariff_id: int
    code: str


@dataclasses.dataclass(frozen=True)
class TariffVersionAdded(Event):
    tariff_id: int
    version_id: int
    code: str
    effective_from: date


@dataclasses.dataclass(frozen=True)
class TariffVersionChanged(Event):
    tariff_id: int
    version_id: int
