"""Undoing a playbook's freeze (OPS-2) through an approval: one person asks, with a reason;
a second person with the approval permission decides. The asker cannot approve, and an
account frozen because its holder left (IAM-5) is never reopened this way."""

from __future__ import annotations

from sqlalchemy import select

from safegrid.governance.models import DepartureNotice
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.sql_dialect import insert_skipping_conflicts
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.models import PlaybookRun, RunStatus, UnfreezeRequest, UnfreezeStatus
from safegrid.security.models import AccountStatus, StaffAccount


def do_request_unfreeze(uow: UnitOfWork, run_id: int, reason: str) -> int:
    reason = reason.strip()
    if not reason:
        raise ValidationProblem("请填写解冻理由 / give the reason", field="reason")
    now = clock.now()
    with uow:
        run = uow.session.scalars(select(PlaybookRun).where(PlaybookRun.id == run_id)).first()
        if run is None:
            raise NotFoundError("处置记录不存在 / playbook run not found", field="run_id")
        froze = any(o.get("frozen") for o in run.outcomes)
        if run.status != RunStatus.DONE or not froze:
            raise ConflictError(
                "该处置未冻结账号或已撤销 / this run froze nothing or was already undone",
                field="run_id",
            )
        values = {
            "run_id": run.id, "account_id": run.account_id, "reason": reason[:500],
            "status": UnfreezeStatus.PENDING.value, "requested_by_id": uow.actor.account_id,
            "requested_by": uow.actor.username, "requested_at": now,
            "org_unit_id": run.org_unit_id,
        }  # fmt: skip
        stmt = insert_skipping_conflicts(
            UnfreezeRequest.__table__, uow.session.get_bind().dialect.name
        )
        inserted = (
            uow.session.execute(
                stmt.values(**values).returning(UnfreezeRequest.__table__.c.id)
            ).first()
            is not None
        )
        request = uow.session.scalars(
            select(UnfreezeRequest).where(UnfreezeRequest.run_id == run.id).with_for_update()
        ).one()
        if not inserted and request.status != UnfreezeStatus.REJECTED:
            raise ConflictError("已有待审批的解冻申请 / an unfreeze request is already pending",
                                field="run_id")  # fmt: skip
        if request.status == UnfreezeStatus.REJECTED:  # asked again after a rejection
            request.status, request.reason = UnfreezeStatus.PENDING, reason[:500]
            request.requested_by_id = uow.actor.account_id
            request.requested_by, request.requested_at = uow.actor.username, now
            request.decided_by = request.decided_at = None
        uow.audit("secops.unfreeze_requested", object_type="staff_account",
                  object_id=run.account_id, org_unit_id=run.org_unit_id,
                  after={"run": run.id, "request": request.id}, note=reason[:200])  # fmt: skip
        uow.commit()
        return request.id


def do_decide_unfreeze(uow: UnitOfWork, request_id: int, *, approve: bool) -> None:
    now = clock.now()
    with uow:
        request = uow.session.scalars(
            select(UnfreezeRequest).where(UnfreezeRequest.id == request_id).with_for_update()
        ).first()
        if request is None:
            raise NotFoundError("解冻申请不存在 / unfreeze request not found", field="request_id")
        if request.status != UnfreezeStatus.PENDING:
            raise ConflictError("该申请已处理 / this request was already decided")
        if request.requested_by_id == uow.actor.account_id:
            raise PermissionDeniedError(
                "解冻须由申请人以外的人批准 / someone other than the requester must approve"
            )
        request.decided_by, request.decided_at = uow.actor.username, now
        request.status = UnfreezeStatus.APPROVED if approve else UnfreezeStatus.REJECTED
        if approve:
            departed = uow.session.scalar(
                select(DepartureNotice.id).where(
                    DepartureNotice.account_id == request.account_id,
                    DepartureNotice.frozen_at.is_not(None),
                )
            )
            if departed is not None:
                raise ConflictError(
                    "该账号因离职冻结，不能解冻 / the account was frozen on departure and stays "
                    "frozen"
                )
            account = uow.session.get_one(StaffAccount, request.account_id)
            if account.status == AccountStatus.FROZEN:
                account.status = AccountStatus.ACTIVE
            uow.session.get_one(PlaybookRun, request.run_id).status = RunStatus.UNDONE
        uow.audit(
            "secops.unfreeze_approved" if approve else "secops.unfreeze_rejected",
            object_type="staff_account",
            object_id=request.account_id,
            org_unit_id=request.org_unit_id,
            after={"request": request.id, "run": request.run_id},
        )
        uow.commit()
