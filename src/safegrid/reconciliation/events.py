"""Facts of reconciliation, published after commit through the outbox."""

from __future__ import annotations

import dataclasses

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class StatementImported(Event):
    statement_id: int
    bank_account: str
    statement_ref: str
    entries: int


@dataclasses.dataclass(frozen=True)
class MatchRunFinished(Event):
    period: str
    green: int
    yellow: int
    red: int


@dataclasses.dataclass(frozen=True)
class ReconCaseOpened(Event):
    case_id: int
    item_id: int
    due_on: str


@dataclasses.dataclass(frozen=True)
class ReconCaseClosed(Event):
    case_id: int
    closed_by: str
