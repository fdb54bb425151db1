"""Terminal API (DATA-7): parse → guard → service. No queries here.

Staff routes (registry, registration, loss) use ``require``; the terminal's own routes
(upload, command queue) use :class:`~safegrid.terminals.guard.TerminalGuard`. They are
declared first so ``/api/terminals/commands`` is never read as a terminal id.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from safegrid.apicontract import body_limits
from safegrid.bootstrap import get_platform
from safegrid.platform.paging import Page, Paging
from safegrid.security.api_access import TerminalsManage, TerminalsView
from safegrid.terminals import services
from safegrid.terminals.guard import TerminalCall, terminal_guard
from safegrid.terminals.schemas import (
    MAX_SEALED_CHARS,
    Credentials,
    MarkLost,
    TerminalCommandOut,
    TerminalCreate,
    TerminalDetail,
    TerminalOut,
    UploadEnvelope,
    UploadResult,
)

router = APIRouter(prefix="/api/terminals", tags=["terminals 现场终端"])


# -- called by the terminal --------------------------------------------------------------
@router.post(
    "/uploads",
    response_model=UploadResult,
    max_body_size=body_limits.upload_limit(MAX_SEALED_CHARS),
)
def upload_batch(
    body: UploadEnvelope, call: TerminalCall = Depends(terminal_guard("upload"))
) -> UploadResult:
    assert call.reader is not None  # the upload guard always resolves the reader
    return services.do_upload_batch(
        get_platform().uow(call.reader), call.terminal.terminal_id, body
    )


@router.get("/commands", response_model=list[TerminalCommandOut])
def fetch_commands(
    call: TerminalCall = Depends(terminal_guard("commands")),
) -> list[TerminalCommandOut]:
    return services.fetch_commands(
        get_platform().uow(call.terminal.actor()), call.terminal.terminal_id
    )


@router.post("/commands/{command_id}/ack", response_model=TerminalCommandOut)
def acknowledge_command(
    command_id: int, call: TerminalCall = Depends(terminal_guard("commands"))
) -> TerminalCommandOut:
    return services.acknowledge_command(
        get_platform().uow(call.terminal.actor()), call.terminal.terminal_id, command_id
    )


# -- staff: the registry -----------------------------------------------------------------
@router.get("", response_model=Page[TerminalOut])
def list_terminals(
    paging: Paging,
    work: TerminalsView,
    status_: str | None = Query(None, alias="status", description="active|lost|wiped|retired"),
) -> Page[TerminalOut]:
    return services.list_terminals(work.read(), status_, paging)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Credentials)
def register_terminal(body: TerminalCreate, work: TerminalsManage) -> Credentials:
    """The answer holds the terminal's secret and upload key: shown this once only."""
    return services.do_register_terminal(work.write(), body)


@router.get("/{terminal_id}", response_model=TerminalDetail)
def read_terminal(terminal_id: int, work: TerminalsView) -> TerminalDetail:
    return services.get_terminal(work.read(), terminal_id)


@router.post("/{terminal_id}/lost", response_model=TerminalOut)
def mark_lost(terminal_id: int, body: MarkLost, work: TerminalsManage) -> TerminalOut:
    """Revoke the credentials at once, queue a wipe command, alert the unit's managers."""
    return services.do_mark_lost(work.write(), terminal_id, body.reason)
