"""办理业务 / Apply on the portal (HALL-6, HALL-10): a new connection or a capacity increase
for one of the customer's bound accounts, the form pre-filled from his archive, documents
uploaded (type read from the content, size-limited, stored with their hash), and tracking.
Every step is the ``applications`` domain's own service, called with the portal customer
(``applications.applicants.PortalCustomer``): no second applications domain here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.applications import archive, queries, services
from safegrid.applications.applicants import PortalCustomer
from safegrid.applications.kinds import DOCUMENT_LABELS, KINDS
from safegrid.applications.routes import Documents
from safegrid.applications.schemas import ApplicationSubmit, Supply
from safegrid.applications.settings import UPLOAD_BODY_BYTES, application_settings
from safegrid.bootstrap import get_platform
from safegrid.platform.errors import (
    ConflictError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.portal import accounts
from safegrid.portal.identity import PortalIdentity
from safegrid.web.applications.pages import STATUS_LABELS, STEP_LABELS
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.portal.guard import Me
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

FIELDS = ("account_no", "kind", "capacity_kva", "note", "documents")
REFUSED = (ValidationProblem, ConflictError, PermissionDeniedError)


def _applicant(me: PortalIdentity) -> PortalCustomer:
    """The applications domain's view of him: his name in its history, his bound accounts."""
    mine = accounts.bound_accounts(get_platform().uow(me.actor, readonly=True), me)
    return PortalCustomer.of(me.actor.username, [a.number for a in mine])


def _render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    base = {
        "me": request.state.portal,
        "statuses": STATUS_LABELS,
        "steps": STEP_LABELS,
        "documents": {d.value: label for d, label in DOCUMENT_LABELS.items()},
    }
    return render(request, f"portal/{template}", {**base, **context}, status_code=status)


@router.get("/portal/apply")
def apply_home(request: Request, me: Me) -> Response:
    applicant = _applicant(me)
    mine = queries.list_applications(
        get_platform().uow(me.actor, readonly=True), customer=applicant
    )
    return _render(
        request, "apply_list.html", {"apps": mine, "accounts": sorted(applicant.account_numbers)}
    )


def _form_page(
    request: Request,
    me: Me,
    account_no: str,
    *,
    values: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> Response:
    form = archive.prefill(
        get_platform().uow(me.actor, readonly=True), account_no, customer=_applicant(me)
    )
    return _render(
        request,
        "apply_form.html",
        {
            "form": form,
            "kinds": KINDS,
            "values": values or {},
            "errors": errors or FieldErrors(),
            "max_mib": application_settings().document_max_bytes // (1024 * 1024),
        },
        status,
    )


@router.get("/portal/apply/new")
def apply_form(
    request: Request, me: Me, account_no: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    return _form_page(request, me, account_no)


@router.post("/portal/apply", max_body_size=UPLOAD_BODY_BYTES)
async def apply_submit(
    request: Request,
    me: Me,
    documents: Documents,
    account_no: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(max_length=24)] = "",
    capacity_kva: Annotated[str, Form(max_length=14)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    files = await documents.read()
    values = {"account_no": account_no, "kind": kind, "capacity_kva": capacity_kva, "note": note}
    applicant = _applicant(me)
    return submit(
        request,
        ApplicationSubmit,
        values,
        FIELDS,
        lambda data: services.do_submit(
            get_platform().uow(me.actor), data, files, customer=applicant
        ),
        done=lambda out: see_other(request, f"/portal/apply/{out.id}"),
        again=lambda errors, status: _form_page(
            request, me, account_no, values=values, errors=errors, status=status
        ),
        refused=REFUSED,
    )


def _detail_page(
    request: Request,
    me: Me,
    application_id: int,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> Response:
    found = queries.detail(
        get_platform().uow(me.actor, readonly=True), application_id, customer=_applicant(me)
    )
    return _render(
        request, "apply_detail.html", {"a": found, "errors": errors or FieldErrors()}, status
    )


@router.get("/portal/apply/{application_id}")
def apply_detail(request: Request, me: Me, application_id: int) -> Response:
    return _detail_page(request, me, application_id)


@router.post("/portal/apply/{application_id}/supply", max_body_size=UPLOAD_BODY_BYTES)
async def apply_supply(
    request: Request,
    me: Me,
    application_id: int,
    documents: Documents,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    files = await documents.read()
    applicant = _applicant(me)
    return submit(
        request,
        Supply,
        {"note": note},
        ("note", "documents"),
        lambda data: services.do_supply(
            get_platform().uow(me.actor), application_id, data, files, customer=applicant
        ),
        done=lambda _out: see_other(request, f"/portal/apply/{application_id}"),
        again=lambda errors, status: _detail_page(request, me, application_id, errors, status),
        refused=REFUSED,
    )
