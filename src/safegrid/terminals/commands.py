"""The command queue as the terminal sees it (DATA-7): fetch what is pending, acknowledge
what was carried out. The terminal is the actor (see ``access.TerminalPrincipal``).

A command stays pending until acknowledged, so a terminal that crashed between fetch and
acknowledgement gets it again; ``delivered_at`` records the first delivery only. A wipe
acknowledgement marks the terminal wiped, after which its credentials open nothing.
"""

from __future__ import annotations

from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError
from safegrid.platform.uow import UnitOfWork
from safegrid.terminals.events import TerminalWiped
from safegrid.terminals.models import CommandKind, CommandStatus, TerminalStatus
from safegrid.terminals.repository import TerminalRepository
from safegrid.terminals.schemas import TerminalCommandOut

COMMAND_NOT_FOUND = "指令不存在 / command not found"


def fetch_commands(uow: UnitOfWork, terminal_id: int) -> list[TerminalCommandOut]:
    now = clock.now()
    with uow:
        repo = TerminalRepository(uow)
        pending = repo.pending_commands(terminal_id)
        first = [c for c in pending if c.status == CommandStatus.QUEUED]
        out = [TerminalCommandOut(id=c.id, kind=c.kind, queued_at=c.queued_at) for c in pending]
        if not first:
            return out  # nothing new delivered: no state change, nothing to audit
        terminal = repo.own(terminal_id)
        for c in first:
            c.status = CommandStatus.DELIVERED
            c.delivered_at = now
        terminal.last_seen_at = now
        uow.audit(
            "terminal.command_delivered",
            object_type="field_terminal",
            object_id=terminal_id,
            org_unit_id=terminal.org_unit_id,
            after={"commands": [{"id": c.id, "kind": c.kind.value} for c in first]},
        )
        uow.commit()
        return out


def acknowledge_command(uow: UnitOfWork, terminal_id: int, command_id: int) -> TerminalCommandOut:
    now = clock.now()
    with uow:
        repo = TerminalRepository(uow)
        command = repo.own_command(terminal_id, command_id)
        if command is None:  # another terminal's command looks exactly like none
            raise NotFoundError(COMMAND_NOT_FOUND)
        out = TerminalCommandOut(id=command.id, kind=command.kind, queued_at=command.queued_at)
        if command.status == CommandStatus.ACKNOWLEDGED:
            return out  # a repeated acknowledgement changes nothing
        terminal = repo.own(terminal_id)
        command.delivered_at = command.delivered_at or now
        command.status = CommandStatus.ACKNOWLEDGED
        command.acknowledged_at = now
        terminal.last_seen_at = now
        if command.kind == CommandKind.WIPE:
            terminal.status = TerminalStatus.WIPED
            terminal.wiped_at = now
        uow.audit(
            "terminal.command_acknowledged",
            object_type="field_terminal",
            object_id=terminal_id,
            org_unit_id=terminal.org_unit_id,
            after={"command_id": command.id, "kind": command.kind.value},
        )
        if command.kind == CommandKind.WIPE:
            uow.emit(
                TerminalWiped(
                    terminal_id=terminal_id, command_id=command.id, org_unit_id=terminal.org_unit_id
                )
            )
        uow.commit()
        return out
