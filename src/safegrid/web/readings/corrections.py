"""Usage corrections with approval (退补, BILL-7; issue 13 item 4): a closed month's wrong
usage is proposed as a correction with its evidence, and a second person approves it —
applied and the bills re-priced at once — or rejects it. Nothing is edited in place."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.readings import correction_requests
from safegrid.readings.correction_requests import Proposal
from safegrid.readings.corrections import Figures
from safegrid.readings.schemas import CorrectionDecisionIn, CorrectionProposalIn
from safegrid.security.policy import Perm
from safegrid.web import flash
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.page_access import BillsReversePage, ReadingsEnterPage, ReadingsViewPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)
PROPOSAL_FIELDS = ("asset_no", "period", "kwh", "peak_kwh", "valley_kwh", "reason", "evidence")


def _context(work: ReadingsViewPage, **extra: object) -> dict[str, object]:
    return {
        "queue": correction_requests.pending(work.read()),
        "me": work.actor.username,
        "can_propose": work.actor.can(Perm.READINGS_ENTER),
        "can_decide": work.actor.can(Perm.BILLS_REVERSE),
        "form": {},
        "errors": FieldErrors(),
        "failed": None,
        "decision_errors": FieldErrors(),
    } | extra


@router.get("/readings/corrections")
def corrections(request: Request, work: ReadingsViewPage) -> Response:
    return render(request, "readings/corrections.html", _context(work))


@router.post("/readings/corrections")
def propose(
    request: Request,
    work: ReadingsEnterPage,
    asset_no: Annotated[str, Form(max_length=32)] = "",
    period: Annotated[str, Form(max_length=7)] = "",
    kwh: Annotated[str, Form(max_length=16)] = "",
    peak_kwh: Annotated[str, Form(max_length=16)] = "",
    valley_kwh: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
    evidence: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    form = {
        "asset_no": asset_no,
        "period": period,
        "kwh": kwh,
        "peak_kwh": peak_kwh,
        "valley_kwh": valley_kwh,
        "reason": reason,
        "evidence": evidence,
    }

    def again(errors: FieldErrors, status: int) -> Response:
        context = _context(work, form=form, errors=errors)
        return render(request, "readings/corrections.html", context, status_code=status)

    def act(data: CorrectionProposalIn) -> int:
        figures = Figures(data.kwh, data.peak_kwh, data.valley_kwh)
        proposal = Proposal(data.asset_no, data.period, figures, data.reason, data.evidence)
        return correction_requests.do_propose_correction(work.write(), proposal)

    return submit(
        request,
        CorrectionProposalIn,
        form,
        PROPOSAL_FIELDS,
        act,
        done=lambda _id: flash.redirect(request, "/readings/corrections", "correction_proposed"),
        again=again,
        refused=(ValidationProblem, ConflictError, NotFoundError),
    )


@router.post("/readings/corrections/{correction_id}")
def decide(
    request: Request,
    correction_id: int,
    work: BillsReversePage,
    decision: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def again(errors: FieldErrors, status: int) -> Response:
        context = _context(work, failed=correction_id, decision_errors=errors)
        return render(request, "readings/corrections.html", context, status_code=status)

    def done(data: CorrectionDecisionIn) -> Response:
        key = "correction_approved" if data.decision == "approve" else "correction_rejected"
        return flash.redirect(request, "/readings/corrections", key)

    def act(data: CorrectionDecisionIn) -> CorrectionDecisionIn:
        correction_requests.do_decide_correction(
            work.write(), correction_id, approve=data.decision == "approve", note=data.note
        )
        return data

    return submit(
        request,
        CorrectionDecisionIn,
        {"decision": decision, "note": note},
        ("decision", "note"),
        act,
        done=done,
        again=again,
        refused=(ValidationProblem, ConflictError, NotFoundError, PermissionDeniedError),
    )
