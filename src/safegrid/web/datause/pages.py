"""Data-use console (DATA-4, DATA-5): requests and the approvers' inbox, grants, the access
log, exports, and the per-field "reveal" on the customer page. Views only parse forms and
call the same services as the API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Final, cast

from fastapi import APIRouter, Form, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from safegrid.datause import access_log, exports, request_words, reveal, workflow
from safegrid.datause.fields import revealable
from safegrid.datause.schemas import Decision, ExportCreate, GrantRevoke, RequestCreate, RevealIn
from safegrid.org import services as org_services
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import SafeGridError, ValidationProblem
from safegrid.platform.paging import PageQuery
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, from_service, submit
from safegrid.web.i18n import N_, request_locale
from safegrid.web.page_access import (
    AccessLogViewPage,
    DatauseApproveDsoPage,
    DatauseApproveHeadPage,
    DatauseRequestPage,
    ExportCustomersPage,
    SignedInPage,
)
from safegrid.web.redirects import is_htmx, see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE: Final = 30
FORM_FIELDS: Final = (
    "kind", "purpose", "fields", "customers", "customer_ids", "scope_unit_id", "period_from",
    "period_to",
)  # fmt: skip
DONE: Final[dict[str, str]] = {
    "filed": N_("Your request has been filed and waits for the department head."),
    "decided": N_("Your decision has been recorded."),
}
FIELD_LABELS: Final[dict[str, str]] = {
    "id_number": N_("ID number"),
    "phone": N_("Mobile"),
    "address": N_("Address"),
    "bank_account": N_("Bank account"),
}


@router.get("/datause")
def datause_home(
    request: Request,
    work: SignedInPage,
    done: str = Query("", max_length=16),
) -> Response:
    context = {
        "mine": (mine := workflow.my_requests(work.read())),
        "grants": workflow.my_grants(work.read()),
        "inbox": (inbox := workflow.inbox(work.read())),
        # Who asks for what, in words, for the approver (issue 13).
        "words": request_words.describe(work.read(), [*inbox, *mine]),
        "done": DONE.get(done),
        "me": work.actor.account_id,
        "field_labels": FIELD_LABELS,
        "can_request": work.actor.can(Perm.DATAUSE_REQUEST),
        "can_head": work.actor.can(Perm.DATAUSE_APPROVE_HEAD),
        "can_dso": work.actor.can(Perm.DATAUSE_APPROVE_DSO),
        "can_export": work.actor.can(Perm.EXPORT_CUSTOMERS),
        "can_logs": work.actor.can(Perm.ACCESS_LOG_VIEW),
    }
    return render(request, "datause/home.html", context)


def _form_page(
    request: Request,
    work: Work,
    values: dict[str, object],
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    units = org_services.list_units(work.read())
    picked = values.get("picked")
    if picked is None:
        try:
            keys = cast(list[str], values.get("customers") or [])
            picked = request_words.pick_customers(work.read(), keys)
        except ValidationProblem:
            picked = []  # the error is already on the form
    context = {
        "picked": picked,
        "values": values,
        "errors": errors or FieldErrors(),
        "units": units,
        "field_choices": [(k, FIELD_LABELS.get(k, k)) for k in revealable()],
        "max_days": 30,
    }
    return render(request, "datause/new.html", context, status_code=status_code)


@router.get("/datause/requests/new")
def request_form(
    request: Request,
    work: DatauseRequestPage,
    customer_id: int | None = Query(None, gt=0),
) -> Response:
    today = clock.business_day()
    # Collect the minimum (issue 13): no field ticked, no whole unit chosen; a customer
    # comes in only when the request starts from that customer's page.
    picked = request_words.customers_by_id(work.read(), [customer_id]) if customer_id else []
    values: dict[str, object] = {
        "kind": "view",
        "fields": [],
        "picked": picked,
        "scope_unit_id": "",
        "period_from": today.isoformat(),
        "period_to": (today + timedelta(days=6)).isoformat(),
        "purpose": "",
    }
    return _form_page(request, work, values)


def _day_start(value: str, field: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationProblem("请输入日期 / enter a date (YYYY-MM-DD)", field=field) from None
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ)


@router.post("/datause/requests/new")
def request_submit(
    request: Request,
    work: DatauseRequestPage,
    kind: Annotated[str, Form(max_length=16)] = "view",
    purpose: Annotated[str, Form(max_length=1000)] = "",
    fields: Annotated[list[str] | None, Form()] = None,
    customers: Annotated[list[str] | None, Form(max_length=64)] = None,
    scope_unit_id: Annotated[str, Form(max_length=12)] = "",
    period_from: Annotated[str, Form(max_length=10)] = "",
    period_to: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    values: dict[str, object] = {
        "kind": kind, "purpose": purpose, "fields": fields or [], "customers": customers or [],
        "scope_unit_id": scope_unit_id, "period_from": period_from, "period_to": period_to,
    }  # fmt: skip

    def again(errors: FieldErrors, status: int) -> Response:
        return _form_page(request, work, values, errors, status)

    try:
        ids = [c.id for c in request_words.pick_customers(work.read(), customers or [])]
        # The last day is included: the grant runs to the end of it (Beijing time).
        start = _day_start(period_from, "period_from")
        end = _day_start(period_to, "period_to") + timedelta(days=1)
    except ValidationProblem as exc:
        return again(from_service(exc, request_locale(request), FORM_FIELDS), exc.status_code)
    return submit(
        request,
        RequestCreate,
        {
            "kind": kind,
            "purpose": purpose,
            "fields": fields or [],
            "customer_ids": ids or None,
            "scope_unit_id": None if ids else (scope_unit_id or None),
            "period_from": max(start, clock.now()),
            "period_to": end,
        },
        FORM_FIELDS,
        lambda data: workflow.do_file_request(work.write(), data),
        done=lambda _: see_other(request, "/datause?done=filed"),
        again=again,
        refused=(SafeGridError,),
    )


def _decide(
    request: Request, work: Work, request_id: int, step: str, approve: str, note: str
) -> Response:
    decision = Decision(approve=approve == "yes", note=note or None)
    workflow.do_decide(work.write(), request_id, step, decision)
    return see_other(request, "/datause?done=decided")


@router.post("/datause/requests/{request_id}/head-decision")
def head_decision(
    request: Request,
    request_id: int,
    work: DatauseApproveHeadPage,
    approve: Annotated[str, Form(max_length=3)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _decide(request, work, request_id, "head", approve, note)


@router.post("/datause/requests/{request_id}/dso-decision")
def dso_decision(
    request: Request,
    request_id: int,
    work: DatauseApproveDsoPage,
    approve: Annotated[str, Form(max_length=3)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _decide(request, work, request_id, "dso", approve, note)


@router.post("/datause/grants/{grant_id}/revoke")
def revoke_grant(
    request: Request,
    grant_id: int,
    work: DatauseApproveDsoPage,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        data = GrantRevoke(reason=reason)
    except ValidationError:
        raise ValidationProblem(
            "请填写撤销原因（至少 4 个字）/ give a reason of at least 4 characters", field="reason"
        ) from None
    workflow.do_revoke_grant(work.write(), grant_id, data)
    return see_other(request, "/datause/grants?active=1")


@router.get("/datause/grants")
def grants_page(
    request: Request,
    work: AccessLogViewPage,
    active: str = Query("", max_length=3),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    result = workflow.list_grants(work.read(), bool(active), PageQuery(page=page, size=PAGE_SIZE))
    context = {
        "result": result,
        "active": active,
        "params": {"active": active},
        "field_labels": FIELD_LABELS,
    }
    return render(request, "datause/grants.html", context)


@router.get("/datause/access-logs")
def access_log_page(
    request: Request,
    work: AccessLogViewPage,
    staff: str = Query("", max_length=64),
    customer_id: str = Query("", max_length=12),
    since: str = Query("", max_length=10),
    until: str = Query("", max_length=10),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    params = {"staff": staff, "customer_id": customer_id, "since": since, "until": until}
    start = _day_start(since, "since") if since else None
    end = _day_start(until, "until") + timedelta(days=1) if until else None
    if customer_id and not customer_id.isdigit():
        raise ValidationProblem(
            "客户编号须为数字 / customer id must be a number", field="customer_id"
        )
    result = access_log.search(
        work.read(),
        staff or None,
        int(customer_id) if customer_id else None,
        start,
        end,
        PageQuery(page=page, size=PAGE_SIZE),
    )
    context = {"result": result, "params": params, "field_labels": FIELD_LABELS}
    return render(request, "datause/access_logs.html", context)


@router.get("/datause/exports")
def exports_page(
    request: Request,
    work: AccessLogViewPage,
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    result = exports.list_exports(work.read(), PageQuery(page=page, size=PAGE_SIZE))
    return render(request, "datause/exports.html", {"result": result, "params": {}})


@router.post("/datause/exports")
def export_download(
    request: Request,
    work: ExportCustomersPage,
    format: Annotated[str, Form(max_length=4)] = "csv",
    request_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    if request_id and not request_id.isdigit():
        raise ValidationProblem(
            "申请编号须为数字 / request id must be a number", field="request_id"
        )
    try:
        data = ExportCreate(format=format, request_id=int(request_id) if request_id else None)
    except ValidationError:
        raise ValidationProblem(
            "格式须为 csv 或 xlsx / format must be csv or xlsx", field="format"
        ) from None
    file = exports.do_export_customers(work.write(), data)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.record.filename}"'},
    )


@router.post("/datause/customers/{customer_id}/reveal")
def reveal_field(
    request: Request,
    customer_id: int,
    work: DatauseRequestPage,
    field: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """htmx: the value in place of the masked one, or why not (audited either way)."""
    try:
        out = reveal.do_reveal(work.write(), customer_id, RevealIn(field=field or "-"))
    except reveal.RevealRefusedError as exc:
        if not is_htmx(request):
            raise
        return render(
            request, "datause/_revealed.html", {"value": None, "error": exc.message, "field": field}
        )
    return render(
        request,
        "datause/_revealed.html",
        {"value": out.value, "error": None, "field": field, "out": out},
    )
