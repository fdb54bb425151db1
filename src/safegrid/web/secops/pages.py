"""Security-operations console: the posture dashboard (OPS-3), detections with their
playbooks, cases and unfreeze approvals (OPS-1, OPS-2), and the step-up page a playbook
sends a session to. Views parse the form, call the services and redirect (PRG)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.secops import playbooks, posture, queries
from safegrid.secops.step_up import do_step_up
from safegrid.secops.unfreeze import do_decide_unfreeze, do_request_unfreeze
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.i18n import N_
from safegrid.web.page_access import (
    SecopsApprovePage,
    SecopsRespondPage,
    SecopsViewPage,
    SetupPage,
)
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

DONE: Final[dict[str, str]] = {
    "ran": N_("The playbook has run; its steps are listed below."),
    "dry": N_("Dry run recorded: nothing was changed. The steps show what would happen."),
    "unfreeze": N_("The unfreeze request is waiting for a second person's approval."),
    "decided": N_("The unfreeze request has been decided."),
}
# The posture's lines as the console shows them (msgids for the catalog), by item key.
POSTURE_LABELS: Final[dict[str, str]] = {
    "detections": N_("Open detections"),
    "cases": N_("Open security cases"),
    "no_mfa": N_("Active accounts without a one-time code"),
    "password_expired": N_("Active accounts with an expired password"),
    "idle": N_("Active accounts idle for 30 days"),
    "departed_pending": N_("Departures not yet frozen"),
    "grants": N_("Data-use grants in force"),
    "exports_week": N_("Exports in the last 7 days"),
    "offline_cases": N_("Open offline payment cases"),
    "key_version": N_("Active data key version (retired versions)"),
    "reencryption": N_("Re-encryption after the last key rotation"),
    "audit_chain": N_("Audit chain last verified"),
    "backup": N_("Last verified backup"),
    "restore_drill": N_("Last restore drill (recovery time)"),
    "drill_findings": N_("Open emergency-drill findings (overdue)"),
    "hazards": N_("Open hazard reports"),
    "attacks": N_("Blocked attacks in the last 24 hours"),
}
# Worded states a posture line can hold (the rest are counts and times), as msgids.
POSTURE_STATES: Final[dict[str, str]] = {
    "done": N_("Done"),
    "pending": N_("Pending"),
    "never": N_("never"),
}
RUN_FIELDS = ("playbook", "account_id", "reason", "dry_run", "detection_id")


class RunForm(BaseModel):
    playbook: str = Field(min_length=1, max_length=32)
    account_id: int = Field(gt=0)
    reason: str = Field(min_length=1, max_length=500)
    dry_run: bool = False
    detection_id: int | None = None


class ReasonForm(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class CodeForm(BaseModel):
    code: str = Field(min_length=6, max_length=8, pattern=r"^\d+$")


@router.get("/secops/posture")
def posture_page(request: Request, work: SecopsViewPage) -> Response:
    return render(
        request,
        "secops/posture.html",
        {"p": posture.posture(work.read()), "labels": POSTURE_LABELS, "states": POSTURE_STATES},
    )


def _board(
    request: Request, work: Work, errors: FieldErrors | None = None, status_code: int = 200,
    values: dict[str, str] | None = None, done: str = "",
) -> Response:  # fmt: skip
    return render(
        request,
        "secops/detections.html",
        {
            "b": queries.board(work.read()),
            "can_respond": work.actor.can(Perm.SECOPS_RESPOND),
            "can_approve": work.actor.can(Perm.SECOPS_APPROVE),
            "errors": errors or FieldErrors(),
            "values": values or {},
            "done": DONE.get(done),
        },
        status_code=status_code,
    )


@router.get("/secops/detections")
def detections_page(
    request: Request, work: SecopsViewPage, done: str = Query("", max_length=16)
) -> Response:
    return _board(request, work, done=done)


@router.post("/secops/playbooks/run")
def run_playbook(
    request: Request,
    work: SecopsRespondPage,
    playbook: Annotated[str, Form(max_length=32)] = "",
    account_id: Annotated[str, Form(max_length=12)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    dry_run: Annotated[str, Form(max_length=4)] = "",
    detection_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    values = {"playbook": playbook, "account_id": account_id, "reason": reason,
              "dry_run": dry_run in ("true", "on", "yes"), "detection_id": detection_id or None}  # fmt: skip

    def act(data: RunForm) -> playbooks.RunResult:
        req = playbooks.RunRequest(data.playbook, data.account_id, data.reason,
                                   data.dry_run, data.detection_id)  # fmt: skip
        return playbooks.do_run_playbook(work.write(), req)

    return submit(
        request,
        RunForm,
        values,
        RUN_FIELDS,
        act,
        done=lambda r: see_other(
            request, f"/secops/detections?done={'dry' if r.status.value == 'dry_run' else 'ran'}"
        ),
        again=lambda errors, status: _board(
            request, work, errors, status, {k: str(v or "") for k, v in values.items()}
        ),
        refused=(ValidationProblem, ConflictError, NotFoundError),
    )


@router.post("/secops/runs/{playbook_run_id}/unfreeze")
def request_unfreeze(
    request: Request,
    playbook_run_id: int,
    work: SecopsRespondPage,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return submit(
        request,
        ReasonForm,
        {"reason": reason},
        ("reason",),
        lambda data: do_request_unfreeze(work.write(), playbook_run_id, data.reason),
        done=lambda _: see_other(request, "/secops/detections?done=unfreeze"),
        again=lambda errors, status: _board(request, work, errors, status),
    )


@router.post("/secops/unfreeze/{unfreeze_id}/decision")
def decide_unfreeze(
    request: Request,
    unfreeze_id: int,
    work: SecopsApprovePage,
    approve: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    do_decide_unfreeze(work.write(), unfreeze_id, approve=approve == "yes")
    return see_other(request, "/secops/detections?done=decided")


def _step_up_page(
    request: Request, errors: FieldErrors | None = None, status_code: int = 200
) -> Response:
    return render(
        request, "secops/step_up.html", {"errors": errors or FieldErrors()},
        status_code=status_code,
    )  # fmt: skip


@router.get("/account/step-up")
def step_up_form(request: Request, work: SetupPage) -> Response:
    return _step_up_page(request)


@router.post("/account/step-up")
def step_up_submit(
    request: Request, work: SetupPage, code: Annotated[str, Form(max_length=16)] = ""
) -> Response:
    return submit(
        request,
        CodeForm,
        {"code": code.strip().replace(" ", "")},
        ("code",),
        lambda data: do_step_up(work.write(), data.code),
        done=lambda _: see_other(request, "/"),
        again=lambda errors, status: _step_up_page(request, errors, status),
    )
