"""Field terminal pages (DATA-7): the registry, a terminal's commands and uploads,
registration (credentials shown once, on the answer page itself — never stored, never
redirected to), and marking a terminal lost, which revokes it and queues a wipe.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.org import services as org_services
from safegrid.platform.errors import ConflictError
from safegrid.platform.paging import PageQuery
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.terminals import services
from safegrid.terminals.models import TerminalStatus
from safegrid.terminals.schemas import MarkLost, TerminalCreate
from safegrid.web import flash
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.page_access import TerminalsManagePage, TerminalsViewPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE: Final = 20
FIELDS: Final = ("serial_no", "model", "org_unit_id", "reader_id")


@router.get("/terminals")
def terminal_list(
    request: Request,
    work: TerminalsViewPage,
    status: str = Query("", max_length=16),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    result = services.list_terminals(
        work.read(),
        status or None,
        PageQuery(page=page, size=PAGE_SIZE),
    )
    return render(
        request,
        "terminals/list.html",
        {
            "result": result,
            "status": status,
            "statuses": list(TerminalStatus),
            "params": {"status": status},
            "can_manage": work.actor.can(Perm.TERMINALS_MANAGE),
        },
    )


def _form_page(
    request: Request,
    work: Work,
    values: dict[str, str],
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    units = org_services.list_units(work.read())
    return render(
        request,
        "terminals/new.html",
        {
            "values": values,
            "errors": errors or FieldErrors(),
            "units": units,
            "readers": services.reader_choices(work.read()),
            "depth_base": min((u.path.count("/") for u in units), default=2),
        },
        status_code=status_code,
    )


# Declared before /terminals/{terminal_id}, which would otherwise read "new" as an id.
@router.get("/terminals/new")
def terminal_new_form(request: Request, work: TerminalsManagePage) -> Response:
    return _form_page(request, work, {"org_unit_id": str(work.actor.org_unit_id or "")})


@router.post("/terminals/new")
def terminal_new_submit(
    request: Request,
    work: TerminalsManagePage,
    serial_no: Annotated[str, Form(max_length=128)] = "",
    model: Annotated[str, Form(max_length=128)] = "",
    org_unit_id: Annotated[str, Form(max_length=12)] = "",
    reader_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    values = {
        "serial_no": serial_no,
        "model": model,
        "org_unit_id": org_unit_id,
        "reader_id": reader_id,
    }
    return submit(
        request,
        TerminalCreate,
        values,
        FIELDS,
        lambda data: services.do_register_terminal(work.write(), data),
        # The one and only time the secret and the upload key are shown (no-store page).
        done=lambda creds: render(
            request, "terminals/credentials.html", {"creds": creds}, status_code=201
        ),
        again=lambda errors, status: _form_page(request, work, values, errors, status),
    )


@router.get("/terminals/{terminal_id}")
def terminal_detail(
    request: Request,
    terminal_id: int,
    work: TerminalsViewPage,
) -> Response:
    return _detail_page(request, work, terminal_id)


def _detail_page(
    request: Request,
    work: Work,
    terminal_id: int,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = services.get_terminal(work.read(), terminal_id)
    return render(
        request,
        "terminals/detail.html",
        {
            "t": t,
            "can_manage": work.actor.can(Perm.TERMINALS_MANAGE),
            "errors": errors or FieldErrors(),
        },
        status_code=status_code,
    )


@router.post("/terminals/{terminal_id}/lost")
def terminal_mark_lost(
    request: Request,
    terminal_id: int,
    work: TerminalsManagePage,
    reason: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    return submit(
        request,
        MarkLost,
        {"reason": reason},
        ("reason",),
        lambda body: services.do_mark_lost(work.write(), terminal_id, body.reason),
        done=lambda _: flash.redirect(request, f"/terminals/{terminal_id}", "terminal_lost"),
        again=lambda errors, status: _detail_page(request, work, terminal_id, errors, status),
        refused=(ConflictError,),
    )
