"""Security-operations events (named in the past tense), relayed through the outbox."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class AnomalyDetected(Event):
    detection_id: int
    account_id: int
    scenario: str
    score: Decimal
    detected_at: datetime


@dataclasses.dataclass(frozen=True)
class PlaybookRan(Event):
    run_id: int
    playbook: str
    account_id: int
    steps: str


@dataclasses.dataclass(frozen=True)
class AttackBlocked(Event):
    kind: str
    ip_network: str
    path: str
