"""Dashboard, org tree, staff list and the audit log (ORG-1, IAM-1, AUD-1, AUD-2)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.datause import audit_export as audit_export_service
from safegrid.org import services as org_services
from safegrid.org.schemas import UnitOut
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.paging import Page
from safegrid.security import accounts, audit_log
from safegrid.security.audit_log import AuditQuery
from safegrid.security.policy import Perm
from safegrid.security.schemas import AuditEntryOut, StaffOut
from safegrid.security.work import Work
from safegrid.web.admin.demo_history import demo_history
from safegrid.web.admin.staff_admin import STAFF_DONE
from safegrid.web.forms import FieldErrors, from_pydantic
from safegrid.web.i18n import request_locale
from safegrid.web.navigation import nav_groups
from safegrid.web.page_access import (
    AuditExportPage,
    AuditVerifyPage,
    AuditViewPage,
    OrgViewPage,
    SignedInPage,
    StaffViewPage,
)
from safegrid.web.redirects import is_htmx
from safegrid.web.templating import render
from safegrid.web.todo import my_work

router = APIRouter(include_in_schema=False)

STAFF_PAGE: Final = 20
AUDIT_PAGE: Final = 30


@router.get("/")
def dashboard(request: Request, work: SignedInPage) -> Response:
    """My work (待办): what waits for this person, then where everything else is."""
    history = demo_history(work, finished_too=False)
    return render(
        request,
        "dashboard.html",
        {"todo": my_work(work), "areas": nav_groups(work.actor), "history": history},
    )


def _units(work: Work) -> list[UnitOut]:
    return org_services.list_units(work.read())


@router.get("/org")
def org_tree(request: Request, work: OrgViewPage) -> Response:
    units = _units(work)
    # Paths are "/1/4/9/": depth is the number of ids, shown relative to the top unit in scope.
    base = min((u.path.count("/") for u in units), default=2)
    rows = [(u, u.path.count("/") - base) for u in units]
    return render(request, "admin/org.html", {"rows": rows})


@router.get("/staff")
def staff_list(
    request: Request,
    work: StaffViewPage,
    page: int = Query(1, ge=1, le=100_000),
    q: str = Query("", max_length=64),
    done: str = Query("", max_length=16),
) -> Response:
    items, total = accounts.list_staff(work.read(), (page - 1) * STAFF_PAGE, STAFF_PAGE, q)
    result = Page[StaffOut](
        items=[StaffOut.model_validate(a) for a in items], total=total, page=page, size=STAFF_PAGE
    )
    units = {u.id: u for u in _units(work)}
    context = {
        "result": result,
        "units": units,
        "params": {"q": q} if q else {},
        "q": q,
        "can_manage": work.actor.can(Perm.STAFF_MANAGE),
        "done": STAFF_DONE.get(done),
    }
    return render(request, "admin/staff.html", context)


def _audit_page(work: Work, page: int, query: AuditQuery | None = None) -> Page[AuditEntryOut]:
    return audit_log.list_audit(work.read(), page, AUDIT_PAGE, query)


AUDIT_FIELDS: Final = (
    "who",
    "action",
    "object_type",
    "object_id",
    "unit_id",
    "date_from",
    "date_to",
)


@router.get("/audit")
def audit_page(
    request: Request,
    work: AuditViewPage,
    page: int = Query(1, ge=1, le=1_000_000),
    who: str = Query("", max_length=64),
    action: str = Query("", max_length=64),
    object_type: str = Query("", max_length=64),
    object_id: str = Query("", max_length=64),
    unit_id: str = Query("", max_length=12),
    date_from: str = Query("", max_length=10),
    date_to: str = Query("", max_length=10),
) -> Response:
    """The audit log, searched by person, action, object, unit and time range (issue 13)."""
    values = {
        "who": who,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "unit_id": unit_id,
        "date_from": date_from,
        "date_to": date_to,
    }
    params = {k: v for k, v in values.items() if v}
    errors = FieldErrors()
    query: AuditQuery | None = None
    try:
        query = AuditQuery.model_validate({k: v for k, v in params.items()})
    except ValidationError as exc:
        errors = from_pydantic(exc, request_locale(request), AUDIT_FIELDS)
    return render(
        request,
        "admin/audit.html",
        {
            "result": _audit_page(work, page, query) if query is not None else None,
            "params": params,
            "values": values,
            "errors": errors,
            "units": _units(work),
            "can_verify": work.actor.can(Perm.AUDIT_VERIFY),
            "can_export": work.actor.can(Perm.EXPORT_AUDIT),
            "verify": None,
        },
        status_code=422 if errors else 200,
    )


@router.post("/audit/export")
def audit_export(
    request: Request,
    work: AuditExportPage,
    who: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(max_length=64)] = "",
    object_type: Annotated[str, Form(max_length=64)] = "",
    object_id: Annotated[str, Form(max_length=64)] = "",
    unit_id: Annotated[str, Form(max_length=12)] = "",
    date_from: Annotated[str, Form(max_length=10)] = "",
    date_to: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The searched view as a watermarked CSV file, recorded like every export (DATA-5)."""
    values = {
        "who": who,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "unit_id": unit_id,
        "date_from": date_from,
        "date_to": date_to,
    }
    try:
        query = AuditQuery.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        errors = from_pydantic(exc, request_locale(request), AUDIT_FIELDS)
        field, messages = next(iter(errors.items()))
        raise ValidationProblem(messages[0], field=field or None) from None
    file = audit_export_service.do_export_audit(work.write(), query)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.record.filename}"'},
    )


@router.post("/audit/verify")
def audit_verify(request: Request, work: AuditVerifyPage) -> Response:
    """Answers with the result itself rather than redirecting (an exception to PRG): the
    check changes no business state (it only records that it ran), so a repeated POST is harmless, and a result carried through a
    redirect URL could be forged by anyone who can send a link to an auditor."""
    platform = get_platform()
    result = audit_log.do_verify_chain(platform.engine, work.write())
    if is_htmx(request):
        return render(request, "admin/_verify.html", {"verify": result})
    return render(
        request,
        "admin/audit.html",
        {
            # Verifying does not imply reading entries: the list needs its own permission.
            "result": _audit_page(work, 1) if work.actor.can(Perm.AUDIT_VIEW) else None,
            "params": {},
            "values": dict.fromkeys(AUDIT_FIELDS, ""),
            "errors": FieldErrors(),
            "units": _units(work),
            "can_export": work.actor.can(Perm.EXPORT_AUDIT),
            "can_verify": True,
            "verify": result,
        },
    )
