"""业扩 at the counter (HALL-6): a hall agent files an application for the customer in front
of him — the form pre-filled from the account's archive, the documents scanned — and takes
in what the hall asked for. The same services as the portal and the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.applications import archive, services
from safegrid.applications.kinds import DOCUMENT_LABELS, KINDS, DocumentType
from safegrid.applications.routes import DocFile, Documents, uploads
from safegrid.applications.schemas import ApplicationForm, ApplicationSubmit, Supply
from safegrid.applications.settings import UPLOAD_BODY_BYTES
from safegrid.platform.errors import SafeGridError
from safegrid.security.work import Work
from safegrid.web.applications.pages import detail_page
from safegrid.web.forms import FieldErrors, from_service, submit
from safegrid.web.i18n import request_locale
from safegrid.web.page_access import HallServePage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

FIELDS = ("account_no", "kind", "capacity_kva", "applicant_name", "site_address", "note")


def _new_page(
    request: Request,
    work: Work,
    account_no: str,
    values: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    errors = errors or FieldErrors()
    form: ApplicationForm | None = None
    if account_no:
        try:
            form = archive.prefill(work.read(), account_no)
        except SafeGridError as exc:
            errors = errors or from_service(exc, request_locale(request), ("account_no",))
    return render(
        request,
        "applications/new.html",
        {
            "account_no": account_no,
            "form": form,
            "values": values or {},
            "kinds": {c: k.label for c, k in KINDS.items()},
            "documents": {t.value: label for t, label in DOCUMENT_LABELS.items()},
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/applications/new")
def new_application(
    request: Request,
    work: HallServePage,
    account_no: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return _new_page(request, work, account_no.strip())


@router.post("/applications/new", max_body_size=UPLOAD_BODY_BYTES)
async def file_application(
    request: Request,
    work: HallServePage,
    documents: Documents,
    account_no: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(max_length=24)] = "",
    capacity_kva: Annotated[str, Form(max_length=14)] = "",
    applicant_name: Annotated[str, Form(max_length=100)] = "",
    site_address: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    values = {
        "account_no": account_no,
        "kind": kind,
        "capacity_kva": capacity_kva,
        "applicant_name": applicant_name,
        "site_address": site_address,
        "note": note,
    }
    files = await documents.read()
    payload = {k: (v or None) for k, v in values.items()}
    payload["note"] = note
    return submit(
        request,
        ApplicationSubmit,
        payload,
        (*FIELDS, "documents"),
        lambda data: services.do_submit(work.write(), data, files),
        done=lambda out: see_other(request, f"/applications/{out.id}"),
        again=lambda e, s: _new_page(request, work, account_no.strip(), values, e, s),
    )


@router.post("/applications/{application_id}/supply", max_body_size=UPLOAD_BODY_BYTES)
async def supply_at_counter(
    request: Request,
    application_id: int,
    work: HallServePage,
    doc_type: Annotated[str, Form(max_length=16)] = "other",
    note: Annotated[str, Form(max_length=500)] = "",
    document: DocFile = None,
) -> Response:
    kind = doc_type if doc_type in {t.value for t in DocumentType} else "other"
    files = await uploads(**{kind: document})
    return submit(
        request,
        Supply,
        {"note": note},
        ("note", "documents"),
        lambda data: services.do_supply(work.write(), application_id, data, files),
        done=lambda _: see_other(request, f"/applications/{application_id}"),
        again=lambda e, s: detail_page(request, work, application_id, e, s),
    )
