"""业扩 application API for staff (bearer tokens; HALL-6). The portal calls the services
directly with its own customer (see the package docstring). Documents are multipart
files, one field per document type; the body limit covers the most files a request takes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.responses import Response

from safegrid.applications import archive, queries, services
from safegrid.applications.documents import Upload
from safegrid.applications.kinds import DocumentType
from safegrid.applications.models import ApplicationStatus
from safegrid.applications.schemas import (
    ApplicationDetail,
    ApplicationForm,
    ApplicationOut,
    ApplicationSubmit,
    Decision,
    Rejection,
    RequestMore,
    Supply,
)
from safegrid.applications.settings import UPLOAD_BODY_BYTES, application_settings
from safegrid.security.api_access import HallServe, HallView

router = APIRouter(prefix="/api/applications", tags=["applications 业扩"])

DocFile = Annotated[UploadFile | None, File()]


async def uploads(**files: UploadFile | None) -> list[Upload]:
    limit = application_settings().document_max_bytes
    out = []
    for name, f in files.items():
        if f is None or not f.filename:
            continue
        # One byte over the limit is enough for the service to name the file as too large.
        content = await f.read(limit + 1)
        out.append(Upload(DocumentType(name), f.filename, content, f.content_type))
    return out


class DocumentFiles:
    """The multipart fields of a request that carries documents, one per document type
    (the route's form and the OpenAPI document name each); ``await read()`` gives the
    files sent, read up to the size limit."""

    def __init__(
        self,
        identity: DocFile = None,
        property: DocFile = None,
        load_list: DocFile = None,
        site_plan: DocFile = None,
        other: DocFile = None,
    ) -> None:
        self._files = {
            DocumentType.IDENTITY: identity,
            DocumentType.PROPERTY: property,
            DocumentType.LOAD_LIST: load_list,
            DocumentType.SITE_PLAN: site_plan,
            DocumentType.OTHER: other,
        }

    async def read(self) -> list[Upload]:
        return await uploads(**self._files)


Documents = Annotated[DocumentFiles, Depends()]


@router.get("", response_model=list[ApplicationOut])
def list_applications(
    work: HallView,
    status: ApplicationStatus | None = None,
    kind: Annotated[str | None, Query(max_length=24)] = None,
    overdue: bool = False,
    q: Annotated[str, Query(max_length=20)] = "",
) -> list[ApplicationOut]:
    """The region's applications, open ones by deadline; ``overdue`` only those late."""
    return queries.list_applications(
        work.read(), queries.Filters(status=status, kind=kind, overdue_only=overdue, q=q)
    )


@router.get("/form", response_model=ApplicationForm)
def application_form(
    work: HallServe, account_no: Annotated[str, Query(min_length=4, max_length=20)]
) -> ApplicationForm:
    """The form pre-filled from the account's archive (smart form filling)."""
    return archive.prefill(work.read(), account_no)


@router.post("", response_model=ApplicationOut, status_code=201, max_body_size=UPLOAD_BODY_BYTES)
async def submit(
    work: HallServe,
    documents: Documents,
    account_no: Annotated[str, Form(max_length=20)],
    kind: Annotated[str, Form(max_length=24)],
    capacity_kva: Annotated[Decimal, Form(gt=0, max_digits=10, decimal_places=2)],
    applicant_name: Annotated[str | None, Form(max_length=100)] = None,
    site_address: Annotated[str | None, Form(max_length=200)] = None,
    contact_phone: Annotated[str | None, Form(max_length=11)] = None,
    note: Annotated[str, Form(max_length=500)] = "",
) -> ApplicationOut:
    """File a pre-accepted application (预受理) for a customer of the caller's region."""
    try:
        data = ApplicationSubmit(
            account_no=account_no,
            kind=kind,
            capacity_kva=capacity_kva,
            applicant_name=applicant_name or None,
            site_address=site_address or None,
            contact_phone=contact_phone or None,
            note=note,
        )
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    files = await documents.read()
    return services.do_submit(work.write(), data, files)


@router.get("/{application_id}", response_model=ApplicationDetail)
def application_detail(application_id: int, work: HallView) -> ApplicationDetail:
    return queries.detail(work.read(), application_id)


@router.get("/documents/{document_id}")
def document_file(document_id: int, work: HallView) -> Response:
    """A document as uploaded (checked against its SHA-256 first)."""
    doc = queries.document(work.read(), document_id)
    return Response(
        doc.content,
        media_type=doc.media_type,
        headers={"Content-Disposition": f'attachment; filename="document-{document_id}"'},
    )


@router.post("/{application_id}/accept", response_model=ApplicationOut)
def accept(application_id: int, body: Decision, work: HallServe) -> ApplicationOut:
    return services.do_accept(work.write(), application_id, body)


@router.post("/{application_id}/request-more", response_model=ApplicationOut)
def request_more(application_id: int, body: RequestMore, work: HallServe) -> ApplicationOut:
    return services.do_request_more(work.write(), application_id, body)


@router.post("/{application_id}/reject", response_model=ApplicationOut)
def reject(application_id: int, body: Rejection, work: HallServe) -> ApplicationOut:
    return services.do_reject(work.write(), application_id, body)


@router.post(
    "/{application_id}/supply", response_model=ApplicationOut, max_body_size=UPLOAD_BODY_BYTES
)
async def supply(
    application_id: int,
    work: HallServe,
    documents: Documents,
    note: Annotated[str, Form(max_length=500)] = "",
) -> ApplicationOut:
    """What the hall asked for, brought by the customer to the counter."""
    files = await documents.read()
    return services.do_supply(work.write(), application_id, Supply(note=note), files)
