"""Dashboard, org tree, staff list and the audit log (ORG-1, IAM-1, AUD-1, AUD-2)."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.org import services as org_services
from safegrid.org.schemas import UnitOut
from safegrid.platform.paging import Page
from safegrid.security import accounts, audit_log
from safegrid.security.policy import Perm
from safegrid.security.schemas import AuditEntryOut, StaffOut
from safegrid.security.work import Work
from safegrid.web.admin.demo_history import demo_history
from safegrid.web.navigation import nav_groups
from safegrid.web.page_access import (
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
) -> Response:
    items, total = accounts.list_staff(work.read(), (page - 1) * STAFF_PAGE, STAFF_PAGE)
    result = Page[StaffOut](
        items=[StaffOut.model_validate(a) for a in items], total=total, page=page, size=STAFF_PAGE
    )
    units = {u.id: u for u in _units(work)}
    return render(request, "admin/staff.html", {"result": result, "units": units, "params": {}})


def _audit_page(work: Work, page: int) -> Page[AuditEntryOut]:
    return audit_log.list_audit(work.read(), page, AUDIT_PAGE)


@router.get("/audit")
def audit_page(
    request: Request,
    work: AuditViewPage,
    page: int = Query(1, ge=1, le=1_000_000),
) -> Response:
    return render(
        request,
        "admin/audit.html",
        {
            "result": _audit_page(work, page),
            "params": {},
            "can_verify": work.actor.can(Perm.AUDIT_VERIFY),
            "verify": None,
        },
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
            "can_verify": True,
            "verify": result,
        },
    )
