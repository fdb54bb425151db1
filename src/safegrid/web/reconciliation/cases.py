"""The case workbench (REC-3): the unit's reconciliation cases with their deadline in Chinese
working days (overdue in red); a case is assigned, its cause recorded with evidence (which
proposes it for closing), and closed by a second person — all through reconciliation.cases."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.responses import Response

from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.paging import PageQuery
from safegrid.reconciliation import cases, workbench
from safegrid.reconciliation.models import CaseCause
from safegrid.reconciliation.schemas import CaseAssign, CaseClose, CaseResolve
from safegrid.reconciliation.settings import get_recon_settings
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.i18n import N_
from safegrid.web.page_access import ReconViewPage, ReconWorkPage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

SHOW_LABELS: Final = {
    workbench.Show.OPEN: N_("Open"),
    workbench.Show.OVERDUE: N_("Overdue"),
    workbench.Show.CLOSED: N_("Closed"),
    workbench.Show.ALL: N_("All"),
}
# Refusals a form shows next to its fields instead of an error page.
REFUSED: Final = (ValidationProblem, ConflictError, NotFoundError, PermissionDeniedError)
RESOLVE_FIELDS: Final = ("case_id", "cause", "detail", "ticket", "responsible", "payment_id")


def _page(
    request: Request,
    work: Work,
    show: workbench.Show = workbench.Show.OPEN,
    page: int = 1,
    errors: FieldErrors | None = None,
    failed_case: int | None = None,
    status_code: int = 200,
) -> Response:
    bench = workbench.workbench(work.read(), show, PageQuery(page=page, size=50))
    return render(
        request,
        "reconciliation/cases.html",
        {
            "bench": bench,
            "show_labels": SHOW_LABELS,
            "causes": list(CaseCause),
            "can_work": work.actor.can(Perm.RECON_WORK),
            "me": work.actor.username,
            "errors": errors or FieldErrors(),
            "failed_case": failed_case,
        },
        status_code=status_code,
    )


def _back(request: Request, case_id: int) -> Response:
    return see_other(request, f"/reconciliation/cases#case-{case_id}")


def _case_no(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


@router.get("/reconciliation/cases")
def case_list(
    request: Request,
    work: ReconViewPage,
    show: str = Query("open", max_length=8),
    page: int = Query(1, ge=1),
) -> Response:
    chosen = (
        workbench.Show(show) if show in {s.value for s in workbench.Show} else workbench.Show.OPEN
    )
    return _page(request, work, chosen, page)


@router.post("/reconciliation/cases/assign")
def case_assign(
    request: Request,
    work: ReconWorkPage,
    case_id: Annotated[str, Form(max_length=12)] = "",
    owner_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    def assign(d: CaseAssign) -> int:
        cases.do_assign(work.write(), d.case_id, d.owner_id)
        return d.case_id

    return submit(
        request,
        CaseAssign,
        {"case_id": case_id, "owner_id": owner_id},
        ("case_id", "owner_id"),
        assign,
        done=lambda n: _back(request, n),
        again=lambda e, status: _page(request, work, errors=e, failed_case=_case_no(case_id), status_code=status),
        refused=REFUSED,
    )  # fmt: skip


@router.post("/reconciliation/cases/resolve")
def case_resolve(
    request: Request,
    work: ReconWorkPage,
    case_id: Annotated[str, Form(max_length=12)] = "",
    cause: Annotated[str, Form(max_length=16)] = "",
    detail: Annotated[str, Form(max_length=400)] = "",
    ticket: Annotated[str, Form(max_length=64)] = "",
    responsible: Annotated[str, Form(max_length=64)] = "",
    payment_id: Annotated[str, Form(max_length=20)] = "",
    evidence: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Records the cause (and the evidence file, if one is attached) and proposes the case
    for closing by someone else."""
    limit = get_recon_settings().evidence_max_bytes
    # A file of the wrong size is refused by the service; read one byte more to know.
    data = evidence.file.read(limit + 1) if evidence is not None and evidence.filename else b""
    values: dict[str, Any] = {
        "case_id": case_id, "cause": cause, "detail": detail, "ticket": ticket,
        "responsible": responsible, "payment_id": payment_id,
    }  # fmt: skip

    attached = (evidence.filename or "evidence", data) if evidence and evidence.filename else None

    def act(d: CaseResolve) -> int:
        cases.do_resolve(
            work.write(), d.case_id, cause=d.cause, detail=d.detail, ticket=d.ticket,
            responsible=d.responsible, made_up_by_payment_id=d.payment_id, evidence=attached,
        )  # fmt: skip
        return d.case_id

    return submit(
        request,
        CaseResolve,
        values,
        RESOLVE_FIELDS,
        act,
        done=lambda n: _back(request, n),
        again=lambda e, status: _page(request, work, errors=e, failed_case=_case_no(case_id), status_code=status),
        refused=REFUSED,
    )  # fmt: skip


@router.post("/reconciliation/cases/close")
def case_close(
    request: Request,
    work: ReconWorkPage,
    case_id: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    def close(d: CaseClose) -> int:
        cases.do_close(work.write(), d.case_id, d.note)
        return d.case_id

    return submit(
        request,
        CaseClose,
        {"case_id": case_id, "note": note},
        ("case_id", "note"),
        close,
        done=lambda n: _back(request, n),
        again=lambda e, status: _page(request, work, errors=e, failed_case=_case_no(case_id), status_code=status),
        refused=REFUSED,
    )  # fmt: skip
