"""Usage corrections API (BILL-7 退补 with approval): propose, then another person decides.
Parse → guard → service; the console's /readings/corrections calls the same services."""

from __future__ import annotations

from fastapi import APIRouter, status

from safegrid.readings import correction_requests
from safegrid.readings.correction_models import CorrectionStatus
from safegrid.readings.correction_requests import Proposal
from safegrid.readings.corrections import Figures
from safegrid.readings.schemas import CorrectionDecisionIn, CorrectionOut, CorrectionProposalIn
from safegrid.security.api_access import BillsReverse, ReadingsEnter

router = APIRouter(prefix="/api", tags=["readings 抄表"])


@router.post(
    "/readings/corrections", response_model=CorrectionOut, status_code=status.HTTP_201_CREATED
)
def propose_correction(body: CorrectionProposalIn, work: ReadingsEnter) -> CorrectionOut:
    """Propose a correction of a closed month's usage; nothing changes until another
    person with ``bills.reverse`` approves it."""
    figures = Figures(body.kwh, body.peak_kwh, body.valley_kwh)
    proposal = Proposal(body.asset_no, body.period, figures, body.reason, body.evidence)
    request_id = correction_requests.do_propose_correction(work.write(), proposal)
    return CorrectionOut(id=request_id, status=CorrectionStatus.PENDING.value)


@router.post("/readings/corrections/{correction_id}/decision", response_model=CorrectionOut)
def decide_correction(
    correction_id: int, body: CorrectionDecisionIn, work: BillsReverse
) -> CorrectionOut:
    """Approve (the month is corrected and its bills re-priced, one transaction) or
    reject; never the proposer's own."""
    decided = correction_requests.do_decide_correction(
        work.write(), correction_id, approve=body.decision == "approve", note=body.note
    )
    return CorrectionOut(
        id=decided.request_id,
        status=decided.status.value,
        repriced_months=decided.repriced_months,
        repriced_difference=decided.repriced_difference,
    )
