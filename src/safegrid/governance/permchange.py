"""Permission changes (IAM-4): applicant's reason → team leader → department head →
executed by a system administrator.

Permissions follow the post (one policy, ``security.policy``), so a request names the post
the target should hold. Separation of duties: nobody approves or executes a request he
made or one that concerns his own account, and one person cannot fill two steps of the
same request. Every step sees only requests whose target is inside his subtree (the table
is org-scoped by the target's unit), so another region's request is a 404. Executing
changes the post and revokes the target's sessions, so the new permissions apply at once.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from sqlalchemy import or_, select

from safegrid.governance.departures import revoke_sessions
from safegrid.governance.models import ChangeStatus, PermissionChangeRequest
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Perm, Post
from safegrid.security.scope import unscoped


@dataclasses.dataclass(frozen=True)
class NewChange:
    target_id: int
    requested_post: Post
    reason: str


def _target(uow: UnitOfWork, target_id: int) -> StaffAccount:
    stmt = select(StaffAccount).where(StaffAccount.id == target_id)
    # One's own account may sit above one's unit; anyone else must be inside the subtree.
    opts = (
        unscoped("one's own account may sit above one's unit")
        if target_id == uow.actor.account_id
        else {}
    )
    account = uow.session.scalars(stmt, execution_options=opts).first()
    if account is None:
        raise NotFoundError("账号不存在 / account not found", field="target_id")
    return account


def do_apply(uow: UnitOfWork, data: NewChange) -> int:
    reason = data.reason.strip()
    if len(reason) < 4:
        raise ValidationProblem("请说明申请理由 / give the reason for the change", field="reason")
    if uow.actor.account_id is None:
        raise PermissionDeniedError("申请须由员工提交 / a staff member must apply")
    with uow:
        target = _target(uow, data.target_id)
        if target.status != AccountStatus.ACTIVE:
            raise ConflictError(
                f"账号状态为 {target.status.value}，不能变更权限 / account is "
                f"{target.status.value}",
                field="target_id",
            )
        if target.post == data.requested_post:
            raise ValidationProblem(
                "申请的岗位与现岗位相同 / the account already holds this post",
                field="requested_post",
            )
        request = PermissionChangeRequest(
            target_id=target.id,
            org_unit_id=target.org_unit_id,
            current_post=target.post,
            requested_post=data.requested_post,
            reason=reason[:500],
            status=ChangeStatus.PENDING_LEADER,
            applicant_id=uow.actor.account_id,
            applied_at=clock.now(),
        )
        uow.session.add(request)
        uow.session.flush()
        uow.audit(
            "permchange.applied",
            object_type="permission_change",
            object_id=request.id,
            org_unit_id=target.org_unit_id,
            after={
                "target": target.id,
                "from": target.post.value,
                "to": data.requested_post.value,
                "reason": request.reason,
            },
        )
        uow.commit()
        return request.id


def _request(uow: UnitOfWork, request_id: int) -> PermissionChangeRequest:
    request = uow.session.scalars(
        select(PermissionChangeRequest).where(PermissionChangeRequest.id == request_id)
    ).first()
    if request is None:
        raise NotFoundError("申请不存在 / request not found")
    return request


def _check_duties(uow: UnitOfWork, request: PermissionChangeRequest) -> int:
    me = uow.actor.account_id
    if me is None:
        raise PermissionDeniedError("须由员工本人审批 / a staff member must decide")
    if me == request.applicant_id:
        raise PermissionDeniedError("不能审批本人提交的申请 / you cannot decide your own request")
    if me == request.target_id:
        raise PermissionDeniedError(
            "不能审批涉及本人账号的申请 / you cannot decide a request concerning yourself"
        )
    if me in (request.leader_id, request.head_id):
        raise PermissionDeniedError(
            "同一申请的不同环节须由不同人员审批 / one person cannot decide two steps of a request"
        )
    return me


Step = Literal["leader", "head"]
_STEP: dict[Step, tuple[ChangeStatus, Perm, ChangeStatus]] = {
    "leader": (
        ChangeStatus.PENDING_LEADER,
        Perm.PERMCHANGE_APPROVE_LEADER,
        ChangeStatus.PENDING_HEAD,
    ),
    "head": (ChangeStatus.PENDING_HEAD, Perm.PERMCHANGE_APPROVE_HEAD, ChangeStatus.APPROVED),
}


def do_approve(
    uow: UnitOfWork, request_id: int, step: Step, *, approve: bool, note: str = ""
) -> ChangeStatus:
    """The team leader's (first) or the department head's (second) decision. The caller
    must hold that step's permission: a head cannot stand in for a leader."""
    now = clock.now()
    awaited, perm, next_status = _STEP[step]
    with uow:
        request = _request(uow, request_id)
        if request.status != awaited:
            raise ConflictError(
                f"申请当前状态为 {request.status.value}，不在此审批环节 / request is "
                f"{request.status.value}, not {awaited.value}"
            )
        if not uow.actor.can(perm):
            raise PermissionDeniedError(
                f"此环节需 {perm.value} 权限 / this step needs permission {perm.value}"
            )
        me = _check_duties(uow, request)
        before = request.status
        if request.status == ChangeStatus.PENDING_LEADER:
            request.leader_id, request.leader_at = me, now
        else:
            request.head_id, request.head_at = me, now
        if approve:
            request.status = next_status
        else:
            request.status = ChangeStatus.REJECTED
            request.rejected_by_id, request.rejected_at = me, now
            request.rejection_note = note.strip()[:500] or None
        uow.audit(
            "permchange.approved" if approve else "permchange.rejected",
            object_type="permission_change",
            object_id=request.id,
            org_unit_id=request.org_unit_id,
            before={"status": before.value},
            after={"status": request.status.value, "note": request.rejection_note},
        )
        uow.commit()
        return request.status


def do_execute(uow: UnitOfWork, request_id: int) -> None:
    now = clock.now()
    with uow:
        request = _request(uow, request_id)
        if request.status != ChangeStatus.APPROVED:
            raise ConflictError(
                "申请未经班组长和部门负责人批准 / request is not approved by the team leader "
                f"and the department head (it is {request.status.value})"
            )
        me = _check_duties(uow, request)
        target = _target(uow, request.target_id)
        if target.post != request.current_post:
            raise ConflictError(
                "目标账号岗位已变化，请重新申请 / the account's post changed since the request"
            )
        target.post = request.requested_post
        request.status = ChangeStatus.EXECUTED
        request.executor_id, request.executed_at = me, now
        uow.session.flush()
        revoked = revoke_sessions(uow, [target.id], now)
        uow.audit(
            "permchange.executed",
            object_type="staff_account",
            object_id=target.id,
            org_unit_id=target.org_unit_id,
            before={"post": request.current_post.value},
            after={
                "post": request.requested_post.value,
                "request": request.id,
                "sessions_revoked": revoked,
            },
        )
        uow.commit()


def list_requests(
    uow: UnitOfWork, status: ChangeStatus | None = None
) -> list[PermissionChangeRequest]:
    """Requests in the caller's subtree. Staff without any approval permission see only the
    requests they made or that concern them."""
    actor = uow.actor
    with uow:
        stmt = select(PermissionChangeRequest)
        if status is not None:
            stmt = stmt.where(PermissionChangeRequest.status == status)
        deciders = (
            Perm.PERMCHANGE_APPROVE_LEADER,
            Perm.PERMCHANGE_APPROVE_HEAD,
            Perm.PERMCHANGE_EXECUTE,
        )
        if not any(actor.can(p) for p in deciders):
            me = actor.account_id or -1
            stmt = stmt.where(
                or_(
                    PermissionChangeRequest.applicant_id == me,
                    PermissionChangeRequest.target_id == me,
                )
            )
        rows = uow.session.scalars(
            stmt.order_by(PermissionChangeRequest.id.desc()).limit(500)
        ).all()
        return list(rows)


def staff_labels(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    """“real name (username)” of the given staff accounts in the caller's scope, so an
    approver sees whom a request concerns, not a bare number."""
    if not ids:
        return {}
    with uow:
        rows = uow.session.execute(
            select(StaffAccount.id, StaffAccount.real_name, StaffAccount.username).where(
                StaffAccount.id.in_(ids)
            )
        ).all()
        return {r.id: f"{r.real_name}（{r.username}）" for r in rows}
