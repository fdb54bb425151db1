"""Collection console (BILL-5, BILL-6): the monitoring dashboard with a chart by unit, the
arrears list, a bill's collection panel, disconnection notices and the notification outbox.

Views parse the form, call the services and redirect (PRG); service errors are rendered by
the app's error pages (403 for approving one's own notice, 404 out of scope, 409 …).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import Form, Query, Request
from fastapi.routing import APIRouter
from starlette.responses import Response

from safegrid.collection import services
from safegrid.collection.models import WriteOffKind
from safegrid.collection.monitoring import default_period
from safegrid.collection.schemas import (
    PERIOD_PATTERN,
    BillCollectionOut,
    NoticeCreate,
    NoticeDecision,
    PlanCreate,
    SummaryOut,
    WriteOffIn,
)
from safegrid.collection.settings import get_collection_settings
from safegrid.notifications import services as notification_services
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.paging import PageQuery
from safegrid.security.actor import Actor
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.i18n import N_, request_locale, translate
from safegrid.web.page_access import (
    ArrearsApprovePage,
    CollectionManagePage,
    CollectionViewPage,
    NotificationsViewPage,
)
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE: Final = 20
# Fixed notices after a redirect, chosen by key (a URL cannot inject text).
DONE: Final[dict[str, str]] = {
    "write_off": N_("The write-off has been recorded."),
    "plan": N_("The instalment plan has been created."),
    "notice": N_("The disconnection notice has been created and waits for approval."),
    "approved": N_("The notice has been approved and served on the customer."),
    "rejected": N_("The notice has been rejected."),
    "executed": N_("The supply has been marked disconnected."),
}


def _chart_data(result: SummaryOut, locale: str) -> dict[str, Any]:
    """Bars for the units one level below the top of the caller's scope (or the top unit
    alone when it has no children with bills)."""
    rows = [u for u in result.units if u.depth == 1] or [u for u in result.units if u.depth == 0]
    return {
        "labels": [u.name_en if locale == "en" else u.name for u in rows],
        "billed": [str(u.billed) for u in rows],
        "written_off": [str(u.written_off) for u in rows],
        "outstanding": [str(u.outstanding) for u in rows],
    }


@router.get("/collection")
def collection_dashboard(
    request: Request,
    work: CollectionViewPage,
    period: str = Query("", max_length=7),
) -> Response:
    period = period or default_period()
    errors = FieldErrors()
    result = None
    if re.fullmatch(PERIOD_PATTERN, period):
        result = services.summary(work.read(), period)
    else:
        errors.add("period", translate(request_locale(request), N_("Choose a month.")))
    locale = request_locale(request)
    return render(
        request,
        "collection/dashboard.html",
        {
            "period": period,
            "result": result,
            "errors": errors,
            "chart": _chart_data(result, locale) if result else None,
        },
        status_code=422 if errors else 200,
    )


@router.get("/arrears")
def arrears_list(
    request: Request,
    work: CollectionViewPage,
    page: int = Query(1, ge=1, le=100_000),
    done: str = Query("", max_length=16),
) -> Response:
    result = services.list_arrears(work.read(), PageQuery(page=page, size=PAGE_SIZE))
    return render(
        request,
        "collection/arrears.html",
        {
            "result": result,
            "params": {},
            "can_manage": work.actor.can(Perm.COLLECTION_MANAGE),
            "done": DONE.get(done),
        },
    )


def _bill_page(
    request: Request,
    actor: Actor,
    panel: BillCollectionOut,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> Response:
    return render(
        request,
        "collection/bill.html",
        {
            "panel": panel,
            "can_manage": actor.can(Perm.COLLECTION_MANAGE),
            "errors": errors or FieldErrors(),
            "values": values or {},
            "done": done,
            "today": clock.business_day(),
            "large_threshold": get_collection_settings().large_customer_monthly_amount,
            "suggest_due": clock.business_day() + timedelta(days=10),
        },
        status_code=status_code,
    )


def _bill_again(
    request: Request, work: Work, bill_id: int, values: dict[str, str]
) -> Callable[[FieldErrors, int], Response]:
    """The bill's panel again, with a refused form's values and messages beside it."""
    return lambda errors, status: _bill_page(
        request,
        work.actor,
        services.get_bill_collection(work.read(), bill_id),
        errors,
        values,
        status,
    )


@router.get("/collection/bills/{bill_id}")
def bill_panel(
    request: Request,
    bill_id: int,
    work: CollectionViewPage,
    done: str = Query("", max_length=16),
) -> Response:
    panel = services.get_bill_collection(work.read(), bill_id)
    return _bill_page(request, work.actor, panel, done=DONE.get(done))


@router.post("/collection/bills/{bill_id}/write-offs")
def bill_write_off(
    request: Request,
    bill_id: int,
    work: CollectionManagePage,
    amount: Annotated[str, Form(max_length=20)] = "",
    reference: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=16)] = "adjustment",
) -> Response:
    values = {"amount": amount, "reference": reference, "kind": kind}
    return submit(
        request,
        WriteOffIn,
        values,
        ("amount", "reference", "kind"),
        lambda data: services.do_write_off(
            work.write(), bill_id, data.amount, data.reference, WriteOffKind(data.kind)
        ),
        done=lambda _: see_other(request, f"/collection/bills/{bill_id}?done=write_off"),
        again=_bill_again(request, work, bill_id, values),
        refused=(ValidationProblem,),
    )


@router.post("/collection/bills/{bill_id}/plan")
def bill_plan(
    request: Request,
    bill_id: int,
    work: CollectionManagePage,
    count: Annotated[str, Form(max_length=4)] = "",
    first_due_date: Annotated[str, Form(max_length=10)] = "",
    interval_days: Annotated[str, Form(max_length=4)] = "30",
) -> Response:
    values = {"count": count, "first_due_date": first_due_date, "interval_days": interval_days}
    return submit(
        request,
        PlanCreate,
        {**values, "bill_ids": [bill_id]},
        ("count", "first_due_date", "interval_days"),
        lambda data: services.do_create_plan(work.write(), data),
        done=lambda _: see_other(request, f"/collection/bills/{bill_id}?done=plan"),
        again=_bill_again(request, work, bill_id, values),
        refused=(ValidationProblem,),
    )


@router.get("/arrears/notices")
def notice_list(
    request: Request,
    work: CollectionViewPage,
    done: str = Query("", max_length=16),
) -> Response:
    notices = services.list_notices(work.read())
    return render(
        request,
        "collection/notices.html",
        {
            "notices": notices,
            "today": clock.business_day(),
            "can_manage": work.actor.can(Perm.COLLECTION_MANAGE),
            "can_approve": work.actor.can(Perm.ARREARS_APPROVE),
            "me": work.actor.username,
            "done": DONE.get(done),
        },
    )


@router.post("/arrears/notices")
def notice_create(
    request: Request,
    work: CollectionManagePage,
    account_id: Annotated[int, Form(gt=0)] = 0,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    data = NoticeCreate(account_id=account_id, reason=reason or "欠费逾期 / overdue arrears")
    services.do_create_notice(work.write(), data)
    return see_other(request, "/arrears/notices?done=notice")


@router.post("/arrears/notices/{notice_id}/decision")
def notice_decide(
    request: Request,
    notice_id: int,
    work: ArrearsApprovePage,
    approve: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    decision = NoticeDecision(approve=approve == "yes", note=note or None)
    services.do_decide_notice(work.write(), notice_id, decision)
    done = "approved" if decision.approve else "rejected"
    return see_other(request, f"/arrears/notices?done={done}")


@router.post("/arrears/notices/{notice_id}/execute")
def notice_execute(
    request: Request,
    notice_id: int,
    work: CollectionManagePage,
) -> Response:
    services.do_execute_notice(work.write(), notice_id)
    return see_other(request, "/arrears/notices?done=executed")


@router.get("/notifications")
def notification_outbox(
    request: Request,
    work: NotificationsViewPage,
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    result = notification_services.list_notifications(
        work.read(), None, None, PageQuery(page=page, size=PAGE_SIZE)
    )
    return render(request, "collection/notifications.html", {"result": result, "params": {}})
