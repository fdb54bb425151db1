"""Terminal registry use cases (DATA-7): list, detail, register, mark lost and wipe.
Every change: one unit of work, scoped to the acting staff member, audited.

The terminal's own calls (upload, command polling) live in :mod:`.uploads` and
:mod:`.commands` and are re-exported here, so web, API and CLI all call ``services``.
"""

from __future__ import annotations

import base64
import secrets

from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot
from safegrid.security.models import AccountStatus
from safegrid.security.policy import Post
from safegrid.terminals import keys
from safegrid.terminals.alerts import alert_managers
from safegrid.terminals.commands import acknowledge_command, fetch_commands
from safegrid.terminals.events import TerminalMarkedLost, TerminalRegistered
from safegrid.terminals.models import (
    CommandKind,
    CommandStatus,
    Terminal,
    TerminalCommand,
    TerminalStatus,
)
from safegrid.terminals.repository import TerminalRepository
from safegrid.terminals.schemas import (
    CommandOut,
    Credentials,
    ReaderChoice,
    TerminalCreate,
    TerminalDetail,
    TerminalOut,
    UploadOut,
)
from safegrid.terminals.uploads import do_upload_batch

__all__ = [
    "acknowledge_command",
    "do_mark_lost",
    "do_register_terminal",
    "do_upload_batch",
    "fetch_commands",
    "get_terminal",
    "list_terminals",
    "reader_by_username",
    "reader_choices",
]

NOT_FOUND = "终端不存在 / terminal not found"


def _out(t: Terminal, reader_username: str | None) -> TerminalOut:
    out = TerminalOut.model_validate(t)
    return out.model_copy(update={"reader_username": reader_username})


def list_terminals(uow: UnitOfWork, status: str | None, paging: PageQuery) -> Page[TerminalOut]:
    try:
        status_value = TerminalStatus(status) if status else None
    except ValueError:
        raise ValidationProblem(f"unknown status {status!r}", field="status") from None
    with uow:
        rows, total = TerminalRepository(uow).search(status_value, paging)
        items = [_out(t, name) for t, name in rows]
    return Page[TerminalOut](items=items, total=total, page=paging.page, size=paging.size)


def get_terminal(uow: UnitOfWork, terminal_id: int) -> TerminalDetail:
    with uow:
        repo = TerminalRepository(uow)
        t = repo.get(terminal_id)
        if t is None:
            raise NotFoundError(NOT_FOUND)
        base = _out(t, repo.username(t.reader_id))
        return TerminalDetail(
            **base.model_dump(),
            commands=[CommandOut.model_validate(c) for c in repo.commands(t.id)],
            uploads=[UploadOut.model_validate(u) for u in repo.uploads(t.id)],
        )


def reader_choices(uow: UnitOfWork) -> list[ReaderChoice]:
    with uow:
        return [ReaderChoice.model_validate(r) for r in TerminalRepository(uow).readers()]


def reader_by_username(uow: UnitOfWork, username: str) -> ReaderChoice:
    """A meter reader of the caller's region by username (the CLI's ``--reader``)."""
    for r in reader_choices(uow):
        if r.username == username:
            return r
    raise ValidationProblem("抄表员不存在 / unknown meter reader", field="reader")


def do_register_terminal(uow: UnitOfWork, data: TerminalCreate) -> Credentials:
    """Register a handheld and issue its credentials. The secret and the upload key are in
    the answer and nowhere else: only a digest and a wrapped key are stored."""
    now = clock.now()
    secret, upload_key = keys.new_secret(), keys.new_upload_key()
    with uow:
        repo = TerminalRepository(uow)
        unit = repo.unit(data.org_unit_id)
        if unit is None:  # outside the caller's subtree looks exactly like absent
            raise ValidationProblem("组织单位不存在 / unknown org unit", field="org_unit_id")
        reader = repo.staff(data.reader_id)
        if reader is None:
            raise ValidationProblem("抄表员不存在 / unknown meter reader", field="reader_id")
        if reader.post != Post.METER_READER or reader.status != AccountStatus.ACTIVE:
            raise ValidationProblem(
                "只能分配给在岗的抄表员 / a terminal is assigned to an active meter reader",
                field="reader_id",
            )
        reader_path = repo.org_path(reader.org_unit_id)
        if not (reader_path.startswith(unit.path) or unit.path.startswith(reader_path)):
            raise ValidationProblem(
                "抄表员不属于该单位 / the reader does not work in this unit", field="reader_id"
            )
        if repo.serial_taken(data.serial_no):
            raise ConflictError(
                "该序列号已登记 / this serial number is already registered", field="serial_no"
            )
        terminal = Terminal(
            code=f"FT-{secrets.token_hex(5).upper()}",
            serial_no=data.serial_no,
            model=data.model,
            org_unit_id=unit.id,
            reader_id=reader.id,
            status=TerminalStatus.ACTIVE,
            secret_digest=keys.secret_digest(secret),
            upload_key=keys.encode(upload_key),
            registered_at=now,
            registered_by=uow.actor.username,
        )
        uow.session.add(terminal)
        uow.session.flush()
        uow.audit(
            "terminal.register",
            object_type="field_terminal",
            object_id=terminal.id,
            org_unit_id=terminal.org_unit_id,
            after=snapshot(terminal),
            note="credentials issued (shown once)",
        )
        uow.emit(
            TerminalRegistered(
                terminal_id=terminal.id, org_unit_id=terminal.org_unit_id, reader_id=reader.id
            )
        )
        uow.commit()
        return Credentials(
            terminal=_out(terminal, reader.username),
            terminal_id=terminal.code,
            secret=secret,
            upload_key=base64.b64encode(upload_key).decode(),
        )


def do_mark_lost(uow: UnitOfWork, terminal_id: int, reason: str) -> TerminalOut:
    """A lost terminal: its credentials stop working at once (they may still fetch the wipe
    command, nothing else), a wipe command is queued, the unit's managers are told."""
    now = clock.now()
    with uow:
        repo = TerminalRepository(uow)
        t = repo.get(terminal_id)
        if t is None:
            raise NotFoundError(NOT_FOUND)
        if t.status != TerminalStatus.ACTIVE:
            raise ConflictError(
                f"终端状态为 {t.status.value}，不能挂失 / the terminal is {t.status.value}, "
                "not active",
                field="status",
            )
        before = snapshot(t)
        t.status = TerminalStatus.LOST
        t.credentials_revoked_at = now
        t.lost_at = now
        t.lost_reason = reason
        command = TerminalCommand(
            terminal_id=t.id,
            kind=CommandKind.WIPE,
            status=CommandStatus.QUEUED,
            queued_at=now,
            queued_by=uow.actor.username,
            org_unit_id=t.org_unit_id,
        )
        uow.session.add(command)
        uow.session.flush()
        told = alert_managers(uow, t, reason)
        uow.audit(
            "terminal.mark_lost",
            object_type="field_terminal",
            object_id=t.id,
            org_unit_id=t.org_unit_id,
            before=before,
            after={**snapshot(t), "wipe_command_id": command.id, "managers_told": told},
            note=reason,
        )
        uow.emit(
            TerminalMarkedLost(terminal_id=t.id, command_id=command.id, org_unit_id=t.org_unit_id)
        )
        uow.commit()
        return _out(t, repo.username(t.reader_id))
