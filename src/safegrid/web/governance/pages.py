"""Account-lifecycle console (IAM-4..8): permission-change inboxes of team leaders,
department heads and system administrators, departures with the 4-hour compliance report,
idle accounts, security training and activation, and work orders.

Views parse the form, call the services and redirect (PRG); service errors are rendered by
the app's error pages (403 deciding one's own request, 404 out of scope, 409 wrong step …).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.fieldwork import services as fieldwork
from safegrid.fieldwork.models import WorkOrderKind
from safegrid.governance import departures, idle, permchange, training
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import ValidationProblem
from safegrid.security.policy import Perm, Post
from safegrid.web.i18n import N_
from safegrid.web.page_access import (
    DeparturesRecordPage,
    DeparturesViewPage,
    PermchangeApplyPage,
    PermchangeApproveHeadPage,
    PermchangeApproveLeaderPage,
    PermchangeExecutePage,
    StaffLifecyclePage,
    WorkordersAssignPage,
    WorkordersViewPage,
)
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

# Fixed notices after a redirect, chosen by key (a URL cannot inject text).
DONE: Final[dict[str, str]] = {
    "applied": N_("The permission change request has been submitted to the team leader."),
    "decided": N_("Your decision has been recorded."),
    "executed": N_("The permission change has been executed; the account's sessions ended."),
    "departure": N_("The departure notice has been recorded."),
    "idle": N_("The idle account has been dealt with."),
    "training": N_("The training record has been updated."),
    "activated": N_("The account has been activated."),
    "order": N_("The work order has been saved."),
}
_G = "/governance"


def _done(key: str) -> str | None:
    return DONE.get(key)


# --- Permission changes (IAM-4) ------------------------------------------------------


@router.get(f"{_G}/permission-changes")
def change_inbox(
    request: Request,
    work: PermchangeApplyPage,
    done: str = Query("", max_length=16),
) -> Response:
    rows = permchange.list_requests(work.read())
    ids = {r.target_id for r in rows} | {r.applicant_id for r in rows}
    names = permchange.staff_labels(work.read(), ids)
    return render(
        request,
        "governance/permission_changes.html",
        {
            "rows": rows,
            "names": names,
            "posts": list(Post),
            "me": work.actor.account_id,
            "can_leader": work.actor.can(Perm.PERMCHANGE_APPROVE_LEADER),
            "can_head": work.actor.can(Perm.PERMCHANGE_APPROVE_HEAD),
            "can_execute": work.actor.can(Perm.PERMCHANGE_EXECUTE),
            "done": _done(done),
        },
    )


@router.post(f"{_G}/permission-changes")
def change_apply(
    request: Request,
    work: PermchangeApplyPage,
    target_id: Annotated[int, Form(gt=0)] = 0,
    requested_post: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        post = Post(requested_post)
    except ValueError:
        raise ValidationProblem("请选择岗位 / choose a post", field="requested_post") from None
    permchange.do_apply(work.write(), permchange.NewChange(target_id, post, reason))
    return see_other(request, f"{_G}/permission-changes?done=applied")


@router.post(f"{_G}/permission-changes/{{change_id}}/leader-decision")
def change_leader(
    request: Request,
    change_id: int,
    work: PermchangeApproveLeaderPage,
    approve: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    permchange.do_approve(work.write(), change_id, "leader", approve=approve == "yes", note=note)
    return see_other(request, f"{_G}/permission-changes?done=decided")


@router.post(f"{_G}/permission-changes/{{change_id}}/head-decision")
def change_head(
    request: Request,
    change_id: int,
    work: PermchangeApproveHeadPage,
    approve: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    permchange.do_approve(work.write(), change_id, "head", approve=approve == "yes", note=note)
    return see_other(request, f"{_G}/permission-changes?done=decided")


@router.post(f"{_G}/permission-changes/{{change_id}}/execute")
def change_execute(
    request: Request,
    change_id: int,
    work: PermchangeExecutePage,
) -> Response:
    permchange.do_execute(work.write(), change_id)
    return see_other(request, f"{_G}/permission-changes?done=executed")


# --- Departures (IAM-5) --------------------------------------------------------------


@router.get(f"{_G}/departures")
def departure_report(
    request: Request,
    work: DeparturesViewPage,
    late_only: bool = Query(False),
    done: str = Query("", max_length=16),
) -> Response:
    rows = departures.compliance_report(work.read(), late_only=late_only)
    return render(
        request,
        "governance/departures.html",
        {
            "rows": rows,
            "late_only": late_only,
            "can_record": work.actor.can(Perm.DEPARTURES_RECORD),
            "now": clock.now().astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M"),
            "done": _done(done),
        },
    )


def _beijing(value: str, field: str) -> datetime:
    """A ``datetime-local`` form value is Beijing time."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=BUSINESS_TZ)
    except ValueError:
        raise ValidationProblem("时间格式不正确 / not a valid date and time", field=field) from None


@router.post(f"{_G}/departures")
def departure_record(
    request: Request,
    work: DeparturesRecordPage,
    account_id: Annotated[int, Form(gt=0)] = 0,
    effective_at: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    data = departures.NewDeparture(account_id, _beijing(effective_at, "effective_at"), reason)
    departures.do_record_departure(work.write(), data)
    return see_other(request, f"{_G}/departures?done=departure")


# --- Idle accounts (IAM-6) -----------------------------------------------------------


@router.get(f"{_G}/idle-accounts")
def idle_list(
    request: Request,
    work: StaffLifecyclePage,
    done: str = Query("", max_length=16),
) -> Response:
    rows = idle.list_reviews(work.read())
    return render(request, "governance/idle.html", {"rows": rows, "done": _done(done)})


@router.post(f"{_G}/idle-accounts/{{review_id}}")
def idle_decide(
    request: Request,
    review_id: int,
    work: StaffLifecyclePage,
    disable: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    idle.do_decide(work.write(), review_id, disable=disable == "yes")
    return see_other(request, f"{_G}/idle-accounts?done=idle")


# --- Security training (IAM-8) -------------------------------------------------------


@router.get(f"{_G}/training")
def training_list(
    request: Request,
    work: StaffLifecyclePage,
    done: str = Query("", max_length=16),
) -> Response:
    rows = training.list_training(work.read())
    return render(request, "governance/training.html", {"rows": rows, "done": _done(done)})


@router.post(f"{_G}/training/{{account_id}}")
def training_record(
    request: Request,
    account_id: int,
    work: StaffLifecyclePage,
    add_hours: Annotated[str, Form(max_length=8)] = "0",
    exam_passed: Annotated[str, Form(max_length=8)] = "",
    commitment_signed: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    try:
        hours = Decimal(add_hours or "0")
    except InvalidOperation:
        raise ValidationProblem(
            "学时须为数字 / hours must be a number", field="add_hours"
        ) from None
    update = training.TrainingUpdate(hours, exam_passed == "yes", commitment_signed == "yes")
    training.do_record_training(work.write(), account_id, update)
    return see_other(request, f"{_G}/training?done=training")


@router.post(f"{_G}/training/{{account_id}}/activate")
def training_activate(
    request: Request,
    account_id: int,
    work: StaffLifecyclePage,
) -> Response:
    training.do_activate(work.write(), account_id)
    return see_other(request, f"{_G}/training?done=activated")


# --- Work orders (IAM-7) -------------------------------------------------------------


@router.get("/workorders")
def work_orders(
    request: Request,
    work: WorkordersViewPage,
    done: str = Query("", max_length=16),
) -> Response:
    rows = fieldwork.list_work_orders(work.read())
    return render(
        request,
        "governance/work_orders.html",
        {
            "rows": rows,
            "kinds": list(WorkOrderKind),
            "can_assign": work.actor.can(Perm.WORKORDERS_ASSIGN),
            "today": clock.business_day().isoformat(),
            "done": _done(done),
        },
    )


@router.post("/workorders")
def work_order_open(
    request: Request,
    work: WorkordersAssignPage,
    kind: Annotated[str, Form(max_length=16)] = "",
    meter_id: Annotated[int, Form(gt=0)] = 0,
    planned_on: Annotated[str, Form(max_length=10)] = "",
    assignee_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    try:
        order_kind = WorkOrderKind(kind)
    except ValueError:
        raise ValidationProblem("请选择工单类型 / choose a kind", field="kind") from None
    try:
        day = date.fromisoformat(planned_on)
    except ValueError:
        raise ValidationProblem("日期格式不正确 / not a valid date", field="planned_on") from None
    assignee = int(assignee_id) if assignee_id.strip().isdigit() else None
    data = fieldwork.NewWorkOrder(order_kind, meter_id, day, assignee)
    fieldwork.do_open_work_order(work.write(), data)
    return see_other(request, "/workorders?done=order")


@router.post("/workorders/{work_order_id}/assign")
def work_order_assign(
    request: Request,
    work_order_id: int,
    work: WorkordersAssignPage,
    assignee_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    assignee = int(assignee_id) if assignee_id.strip().isdigit() else None
    fieldwork.do_assign(work.write(), work_order_id, assignee)
    return see_other(request, "/workorders?done=order")
