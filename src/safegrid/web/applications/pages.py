"""Back-office console for 业扩 applications (HALL-6): the region's list with filters
(overdue in red), one application with its documents and history, and the hall agent's
actions — accept, ask for more (what and by when), reject (why)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.applications import queries, services
from safegrid.applications.kinds import DOCUMENT_LABELS, KINDS
from safegrid.applications.models import OPEN_STATUSES, ApplicationStatus
from safegrid.applications.models import STATUS_LABELS as MODEL_STATUS_LABELS
from safegrid.applications.schemas import Decision, Rejection, RequestMore
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.page_access import HallServePage, HallViewPage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

STATUS_LABELS: Final[dict[str, str]] = {
    status.value: f"{zh} / {en}" for status, (zh, en) in MODEL_STATUS_LABELS.items()
}
STEP_LABELS: Final[dict[str, str]] = {
    "submitted": "提交申请 / Submitted",
    "more_requested": "要求补充资料 / More requested",
    "supplied": "补充资料 / Documents supplied",
    "accepted": "受理 / Accepted",
    "rejected": "不予受理 / Rejected",
}


@router.get("/applications")
def application_list(
    request: Request,
    work: HallViewPage,
    status: Annotated[str, Query(max_length=16)] = "",
    kind: Annotated[str, Query(max_length=24)] = "",
    overdue: Annotated[str, Query(max_length=3)] = "",
    q: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    filters = queries.Filters(
        status=ApplicationStatus(status) if status in STATUS_LABELS else None,
        kind=kind if kind in KINDS else None,
        overdue_only=overdue == "1",
        q=q,
    )
    rows = queries.list_applications(work.read(), filters)
    return render(
        request,
        "applications/list.html",
        {
            "rows": rows,
            "filters": filters,
            "statuses": STATUS_LABELS,
            "kinds": {c: k.label for c, k in KINDS.items()},
            "can_file": work.actor.can(Perm.HALL_SERVE),
        },
    )


def detail_page(
    request: Request,
    work: Work,
    application_id: int,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    app = queries.detail(work.read(), application_id)
    return render(
        request,
        "applications/detail.html",
        {
            "a": app,
            "statuses": STATUS_LABELS,
            "steps": STEP_LABELS,
            "documents": {t.value: label for t, label in DOCUMENT_LABELS.items()},
            "can_decide": work.actor.can(Perm.HALL_SERVE) and app.status in OPEN_STATUSES,
            "can_ask": work.actor.can(Perm.HALL_SERVE)
            and app.status == ApplicationStatus.SUBMITTED,
            "can_supply": work.actor.can(Perm.HALL_SERVE)
            and app.status == ApplicationStatus.MORE_REQUESTED,
            "errors": errors or FieldErrors(),
        },
        status_code=status_code,
    )


@router.get("/applications/{application_id}")
def application_detail(request: Request, application_id: int, work: HallViewPage) -> Response:
    return detail_page(request, work, application_id)


@router.get("/applications/documents/{document_id}")
def application_document(document_id: int, work: HallViewPage) -> Response:
    doc = queries.document(work.read(), document_id)
    return Response(
        doc.content,
        media_type=doc.media_type,
        headers={"Content-Disposition": f'inline; filename="document-{document_id}"'},
    )


def _back(request: Request, application_id: int) -> Response:
    return see_other(request, f"/applications/{application_id}")


@router.post("/applications/{application_id}/accept")
def accept(
    request: Request,
    application_id: int,
    work: HallServePage,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return submit(
        request,
        Decision,
        {"note": note},
        ("note",),
        lambda data: services.do_accept(work.write(), application_id, data),
        done=lambda _: _back(request, application_id),
        again=lambda e, s: detail_page(request, work, application_id, e, s),
    )


@router.post("/applications/{application_id}/request-more")
def request_more(
    request: Request,
    application_id: int,
    work: HallServePage,
    missing: Annotated[str, Form(max_length=500)] = "",
    working_days: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    return submit(
        request,
        RequestMore,
        {"missing": missing, "working_days": working_days or None},
        ("missing", "working_days"),
        lambda data: services.do_request_more(work.write(), application_id, data),
        done=lambda _: _back(request, application_id),
        again=lambda e, s: detail_page(request, work, application_id, e, s),
    )


@router.post("/applications/{application_id}/reject")
def reject(
    request: Request,
    application_id: int,
    work: HallServePage,
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    return submit(
        request,
        Rejection,
        {"reason": reason},
        ("reason",),
        lambda data: services.do_reject(work.write(), application_id, data),
        done=lambda _: _back(request, application_id),
        again=lambda e, s: detail_page(request, work, application_id, e, s),
    )
