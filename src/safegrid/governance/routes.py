"""Account-lifecycle API (IAM-4..8): thin routes over the governance services."""

from __future__ import annotations

from fastapi import APIRouter, status

from safegrid.fieldwork import services as fieldwork
from safegrid.governance import departures, idle, permchange, training
from safegrid.governance.models import ChangeStatus, ReviewStatus
from safegrid.governance.schemas import (
    ChangeIn,
    ChangeOut,
    ComplianceOut,
    DecisionIn,
    DepartureCreated,
    DepartureIn,
    IdleDecisionIn,
    IdleOut,
    ServiceEndIn,
    TrainingIn,
    TrainingOut,
)
from safegrid.security.api_access import (
    DeparturesRecord,
    DeparturesView,
    PermchangeApply,
    PermchangeApproveHead,
    PermchangeApproveLeader,
    PermchangeExecute,
    StaffLifecycle,
)
from safegrid.security.work import Work

router = APIRouter(prefix="/api/governance", tags=["governance 账号治理"])


def _training_out(s: training.TrainingStatus) -> TrainingOut:
    return TrainingOut(
        account_id=s.account_id,
        username=s.username,
        real_name=s.real_name,
        status=s.status,
        class_hours=s.class_hours,
        exam_passed=s.exam_passed,
        commitment_signed=s.commitment_signed,
        missing=s.missing,
    )


@router.get("/training", response_model=list[TrainingOut])
def pending_training(work: StaffLifecycle) -> list[TrainingOut]:
    """Accounts waiting for activation and how far their training has got (IAM-8)."""
    rows = training.list_training(work.read())
    return [_training_out(s) for s in rows]


@router.post("/training/{account_id}", response_model=TrainingOut)
def record_training(account_id: int, body: TrainingIn, work: StaffLifecycle) -> TrainingOut:
    update = training.TrainingUpdate(body.add_hours, body.exam_passed, body.commitment_signed)
    return _training_out(training.do_record_training(work.write(), account_id, update))


@router.post("/training/{account_id}/activate", status_code=status.HTTP_204_NO_CONTENT)
def activate(account_id: int, work: StaffLifecycle) -> None:
    """Refused (422, field ``training``) until 16 class-hours, exam and commitment (IAM-8)."""
    training.do_activate(work.write(), account_id)


@router.post("/departures", response_model=DepartureCreated, status_code=status.HTTP_201_CREATED)
def record_departure(body: DepartureIn, work: DeparturesRecord) -> DepartureCreated:
    """HR departure notice (IAM-5): freezes at once when already effective."""
    data = departures.NewDeparture(body.account_id, body.effective_at, body.reason)
    return DepartureCreated(id=departures.do_record_departure(work.write(), data))


@router.get("/departures", response_model=list[ComplianceOut])
def departure_report(work: DeparturesView, late_only: bool = False) -> list[ComplianceOut]:
    """The 4-hour compliance report: received, effective and frozen times, late ones flagged."""
    rows = departures.compliance_report(work.read(), late_only=late_only)
    return [ComplianceOut.model_validate(r) for r in rows]


@router.get("/permission-changes", response_model=list[ChangeOut])
def list_changes(work: PermchangeApply, state: ChangeStatus | None = None) -> list[ChangeOut]:
    rows = permchange.list_requests(work.read(), state)
    return [ChangeOut.model_validate(r) for r in rows]


@router.post("/permission-changes", response_model=ChangeOut, status_code=status.HTTP_201_CREATED)
def apply_change(body: ChangeIn, work: PermchangeApply) -> ChangeOut:
    data = permchange.NewChange(body.target_id, body.requested_post, body.reason)
    change_id = permchange.do_apply(work.write(), data)
    return _change(work, change_id)


def _change(work: Work, change_id: int) -> ChangeOut:
    rows = permchange.list_requests(work.read())
    return ChangeOut.model_validate(next(r for r in rows if r.id == change_id))


@router.post("/permission-changes/{change_id}/leader-decision", response_model=ChangeOut)
def leader_decision(
    change_id: int,
    body: DecisionIn,
    work: PermchangeApproveLeader,
) -> ChangeOut:
    permchange.do_approve(work.write(), change_id, "leader", approve=body.approve, note=body.note)
    return _change(work, change_id)


@router.post("/permission-changes/{change_id}/head-decision", response_model=ChangeOut)
def head_decision(
    change_id: int,
    body: DecisionIn,
    work: PermchangeApproveHead,
) -> ChangeOut:
    permchange.do_approve(work.write(), change_id, "head", approve=body.approve, note=body.note)
    return _change(work, change_id)


@router.post("/permission-changes/{change_id}/execute", response_model=ChangeOut)
def execute_change(change_id: int, work: PermchangeExecute) -> ChangeOut:
    permchange.do_execute(work.write(), change_id)
    return _change(work, change_id)


@router.get("/idle-accounts", response_model=list[IdleOut])
def idle_accounts(
    work: StaffLifecycle,
    state: ReviewStatus | None = ReviewStatus.LISTED,
) -> list[IdleOut]:
    rows = idle.list_reviews(work.read(), state)
    return [IdleOut.model_validate(r) for r in rows]


@router.post("/idle-accounts/{review_id}", status_code=status.HTTP_204_NO_CONTENT)
def decide_idle(review_id: int, body: IdleDecisionIn, work: StaffLifecycle) -> None:
    """Confirm (disable, sessions revoked) or keep an idle account (IAM-6)."""
    idle.do_decide(work.write(), review_id, disable=body.disable)


@router.put("/contractors/{account_id}/service-end", status_code=status.HTTP_204_NO_CONTENT)
def set_service_end(account_id: int, body: ServiceEndIn, work: StaffLifecycle) -> None:
    """A contractor sees nothing after this day (IAM-7)."""
    fieldwork.do_set_service_end(work.write(), account_id, body.ends_on)
