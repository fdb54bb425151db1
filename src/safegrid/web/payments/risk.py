"""Risk console (PAY-4, PAY-5): the reviewers' inbox of risk cases (lift, confirm, extend,
with the decision's fired rules and their inputs) and the rule configuration page (edit
thresholds, windows and actions → a new audited version; version history).

Views parse the form, call the services and redirect (PRG); service errors are rendered by
the app's error pages (403 reviewing a case one caused, 404 out of scope, 409 decided).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.payments.risk import cases, rules
from safegrid.payments.risk.models import CaseStatus, RuleAction, RuleKind
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.paging import PageQuery
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.page_access import (
    RiskCasesDecidePage,
    RiskCasesViewPage,
    RiskRulesManagePage,
    RiskRulesViewPage,
)
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)
_R = "/payments/risk"

DONE: Final[dict[str, str]] = {
    "lifted": N_("The case is lifted; the account's online functions are restored."),
    "confirmed": N_("The case is confirmed; the suspension runs its course."),
    "extended": N_("The suspension has been extended; the case stays open."),
    "saved": N_("The new rule version is in force."),
}
KIND_LABELS: Final[dict[str, str]] = {
    RuleKind.DEVICE_VELOCITY: N_("Payment requests from one device"),
    RuleKind.IP_VELOCITY: N_("Payment requests from one IP address"),
    RuleKind.ACCOUNT_VELOCITY: N_("Payment requests for one account"),
    RuleKind.TEST_PAYMENTS: N_("Test payments (at most the amount) of one account"),
    RuleKind.PAY_THEN_REFUND: N_("Refund within the window after a payment"),
}
ACTION_LABELS: Final[dict[str, str]] = {
    "allow": N_("Allow"),
    RuleAction.STEP_UP: N_("Step-up verification (SMS code)"),
    RuleAction.FREEZE: N_("Temporary freeze"),
    RuleAction.REVIEW: N_("Risk case for manual review"),
}
STATUS_LABELS: Final[dict[str, str]] = {
    CaseStatus.OPEN: N_("Open"),
    CaseStatus.EXTENDED: N_("Extended"),
    CaseStatus.LIFTED: N_("Lifted"),
    CaseStatus.CONFIRMED: N_("Confirmed"),
}


@router.get(f"{_R}/cases")
def case_inbox(
    request: Request,
    work: RiskCasesViewPage,
    status: str = Query("", max_length=16),
    page: int = Query(1, ge=1),
    done: str = Query("", max_length=16),
) -> Response:
    chosen = CaseStatus(status) if status in {s.value for s in CaseStatus} else None
    found = cases.list_cases(work.read(), chosen, PageQuery(page=page, size=20))
    return render(
        request,
        "payments/risk_cases.html",
        {
            "page": found,
            "status": chosen.value if chosen else "",
            "statuses": list(CaseStatus),
            "status_labels": STATUS_LABELS,
            "action_labels": ACTION_LABELS,
            "can_decide": work.actor.can(Perm.RISK_CASES_DECIDE),
            "undecided": cases.UNDECIDED,
            "done": DONE.get(done),
        },
    )


@router.post(f"{_R}/cases/{{risk_case_id}}/lift")
def case_lift(
    request: Request,
    risk_case_id: int,
    work: RiskCasesDecidePage,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    cases.do_lift(work.write(), risk_case_id, note)
    return see_other(request, f"{_R}/cases?done=lifted")


@router.post(f"{_R}/cases/{{risk_case_id}}/confirm")
def case_confirm(
    request: Request,
    risk_case_id: int,
    work: RiskCasesDecidePage,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    cases.do_confirm(work.write(), risk_case_id, note)
    return see_other(request, f"{_R}/cases?done=confirmed")


@router.post(f"{_R}/cases/{{risk_case_id}}/extend")
def case_extend(
    request: Request,
    risk_case_id: int,
    work: RiskCasesDecidePage,
    hours: Annotated[int, Form(ge=1, le=720)] = 48,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    cases.do_extend(work.write(), risk_case_id, hours, note)
    return see_other(request, f"{_R}/cases?done=extended")


@router.get(f"{_R}/rules")
def rule_page(
    request: Request,
    work: RiskRulesViewPage,
    done: str = Query("", max_length=16),
) -> Response:
    versions = rules.list_versions(work.read())
    return render(
        request,
        "payments/risk_rules.html",
        {
            "current": versions[0],
            "versions": versions,
            "kinds": list(RuleKind),
            "actions": list(RuleAction),
            "kind_labels": KIND_LABELS,
            "action_labels": ACTION_LABELS,
            "strict": rules.STRICTLY_MORE,
            "can_edit": work.actor.can(Perm.RISK_RULES_MANAGE),
            "done": DONE.get(done),
        },
    )


def _int(form: dict[str, str], key: str) -> int:
    try:
        return int(form.get(key, "").strip())
    except ValueError:
        raise ValidationProblem("请输入整数 / a whole number is required", field=key) from None


def _rules_from(form: dict[str, str]) -> list[rules.Rule]:
    """Rows ``code_0``, ``kind_0``, … as the page posts them, in order."""
    out: list[rules.Rule] = []
    i = 0
    while f"code_{i}" in form and i < 50:
        try:
            kind, action = (
                RuleKind(form.get(f"kind_{i}", "")),
                RuleAction(form.get(f"action_{i}", "")),
            )
        except ValueError:
            raise ValidationProblem("规则类型或处置无效 / unknown kind or action",
                                    field=f"rules[{i}].action") from None  # fmt: skip
        raw = form.get(f"amount_{i}", "").strip()
        try:
            amount = Decimal(raw) if raw else None
        except InvalidOperation:
            raise ValidationProblem(
                "金额无效 / invalid amount", field=f"rules[{i}].amount"
            ) from None
        out.append(
            rules.Rule(
                code=form[f"code_{i}"].strip(),
                kind=kind,
                threshold=_int(form, f"threshold_{i}"),
                window_minutes=_int(form, f"window_minutes_{i}"),
                action=action,
                suspend_minutes=_int(form, f"suspend_minutes_{i}"),
                amount=amount,
                enabled=form.get(f"enabled_{i}", "") in ("true", "on", "yes"),
            )
        )
        i += 1
    return out


@router.post(f"{_R}/rules")
async def rule_save(request: Request, work: RiskRulesManagePage) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    rules.do_save_rules(work.write(), _rules_from(form), note=form.get("note", ""))
    return see_other(request, f"{_R}/rules?done=saved")
