"""Data-use API (DATA-4, DATA-5): parse → guard → service. No queries here."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from safegrid.datause import access_log, exports, reveal, workflow
from safegrid.datause.schemas import (
    AccessLogOut,
    Decision,
    ExportCreate,
    ExportOut,
    GrantOut,
    GrantRevoke,
    RequestCreate,
    RequestOut,
    RevealIn,
    RevealOut,
)
from safegrid.platform.paging import Page, Paging
from safegrid.security.api_access import (
    AccessLogView,
    DatauseApproveDso,
    DatauseApproveHead,
    DatauseRequest,
    ExportCustomers,
    SignedIn,
)

router = APIRouter(prefix="/api", tags=["data use 数据使用"])


@router.post("/datause/requests", status_code=status.HTTP_201_CREATED, response_model=RequestOut)
def file_request(body: RequestCreate, work: DatauseRequest) -> RequestOut:
    request_id = workflow.do_file_request(work.write(), body)
    return workflow.get_request(work.read(), request_id)


@router.get("/datause/requests", response_model=list[RequestOut])
def my_requests(work: SignedIn) -> list[RequestOut]:
    """The caller's own requests, newest first."""
    return workflow.my_requests(work.read())


@router.get("/datause/inbox", response_model=list[RequestOut])
def inbox(work: SignedIn) -> list[RequestOut]:
    """Requests of the caller's area waiting at a step the caller's post decides."""
    return workflow.inbox(work.read())


@router.get("/datause/requests/{request_id}", response_model=RequestOut)
def read_request(request_id: int, work: DatauseRequest) -> RequestOut:
    """A request of the caller's area (its requester's unit lies in the caller's subtree)."""
    return workflow.get_request(work.read(), request_id)


@router.post("/datause/requests/{request_id}/head-decision", response_model=RequestOut)
def head_decision(request_id: int, body: Decision, work: DatauseApproveHead) -> RequestOut:
    return workflow.do_decide(work.write(), request_id, "head", body)


@router.post("/datause/requests/{request_id}/dso-decision", response_model=RequestOut)
def dso_decision(request_id: int, body: Decision, work: DatauseApproveDso) -> RequestOut:
    return workflow.do_decide(work.write(), request_id, "dso", body)


@router.post("/datause/grants/{grant_id}/revoke", response_model=GrantOut)
def revoke_grant(grant_id: int, body: GrantRevoke, work: DatauseApproveDso) -> GrantOut:
    return workflow.do_revoke_grant(work.write(), grant_id, body)


@router.get("/datause/grants", response_model=list[GrantOut])
def my_grants(work: SignedIn) -> list[GrantOut]:
    return workflow.my_grants(work.read())


@router.get("/datause/grants/all", response_model=Page[GrantOut])
def all_grants(
    paging: Paging,
    work: AccessLogView,
    active: bool = Query(False, description="only grants valid now"),
) -> Page[GrantOut]:
    return workflow.list_grants(work.read(), active, paging)


@router.post("/customers/{customer_id}/reveal", response_model=RevealOut)
def reveal_value(customer_id: int, body: RevealIn, work: DatauseRequest) -> RevealOut:
    """One field of one customer unmasked, under an active grant of the caller; logged."""
    return reveal.do_reveal(work.write(), customer_id, body)


@router.get("/datause/access-logs", response_model=Page[AccessLogOut])
def access_logs(
    paging: Paging,
    work: AccessLogView,
    staff: str | None = Query(None, max_length=64, description="username"),
    customer_id: int | None = Query(None, gt=0),
    since: datetime | None = Query(None),
    until: datetime | None = Query(None),
) -> Page[AccessLogOut]:
    return access_log.search(work.read(), staff, customer_id, since, until, paging)


@router.post("/datause/exports", response_class=Response)
def export_customers(body: ExportCreate, work: ExportCustomers) -> Response:
    """The customer list of the caller's area as a watermarked CSV or Excel file."""
    file = exports.do_export_customers(work.write(), body)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.record.filename}"',
            "X-Export-Id": str(file.record.id),
        },
    )


@router.get("/datause/exports", response_model=Page[ExportOut])
def list_exports(paging: Paging, work: AccessLogView) -> Page[ExportOut]:
    return exports.list_exports(work.read(), paging)
