"""Facts of the terminal registry, published after commit and kept in the outbox."""

from __future__ import annotations

import dataclasses

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class TerminalRegistered(Event):
    terminal_id: int
    org_unit_id: int
    reader_id: int


@dataclasses.dataclass(frozen=True)
class TerminalMarkedLost(Event):
    """Credentials revoked and a wipe command queued (DATA-7)."""

    terminal_id: int
    command_id: int
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class TerminalWiped(Event):
    terminal_id: int
    command_id: int
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class TerminalBatchUploaded(Event):
    terminal_id: int
    upload_id: int
    readings: int
    org_unit_id: int
