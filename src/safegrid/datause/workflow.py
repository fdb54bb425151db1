"""Data-use requests (DATA-4): filed by a staff member, approved by a department head and
then a data security officer, turned into a time-limited grant. Every step is one unit of
work, audited, with an event; no one decides his own request."""

from __future__ import annotations

from datetime import timedelta

from safegrid.datause.events import (
    DataUseGranted,
    DataUseGrantRevoked,
    DataUseRequestDecided,
    DataUseRequested,
)
from safegrid.datause.models import DataUseGrant, DataUseRequest, RequestStatus
from safegrid.datause.repository import DataUseRepository
from safegrid.datause.schemas import Decision, GrantOut, GrantRevoke, RequestCreate, RequestOut
from safegrid.datause.settings import get_datause_settings
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm

NOT_FOUND = "数据使用申请不存在 / data-use request not found"
SELF_APPROVAL = "不能审批本人的申请 / no one approves his own request"
STEPS = {"head": RequestStatus.PENDING_HEAD, "dso": RequestStatus.PENDING_DSO}
STEP_NAMES = {"head": "部门负责人 / department head", "dso": "数据安全专员 / data security officer"}


def _summary(req: DataUseRequest) -> dict[str, object]:
    return {
        "kind": req.kind.value,
        "fields": req.fields,
        "customer_ids": req.customer_ids,
        "scope_unit_id": req.scope_unit_id,
        "period_from": req.period_from.isoformat(),
        "period_to": req.period_to.isoformat(),
        "status": req.status.value,
    }


def do_file_request(uow: UnitOfWork, data: RequestCreate) -> int:
    now = clock.now()
    settings = get_datause_settings()
    actor = uow.actor
    if actor.account_id is None or actor.org_unit_id is None:
        raise PermissionDeniedError(
            "只有员工账号可以申请 / only a staff account may file a request"
        )
    if data.period_to <= data.period_from:
        raise ValidationProblem(
            "结束时间须晚于开始时间 / period_to must follow period_from", field="period_to"
        )
    if data.period_to - data.period_from > timedelta(days=settings.max_period_days):
        raise ValidationProblem(
            f"使用期限最长 {settings.max_period_days} 天 / the period may not exceed "
            f"{settings.max_period_days} days",
            field="period_to",
        )
    if data.period_to <= now:
        raise ValidationProblem("使用期限已过 / the period is already over", field="period_to")
    with uow:
        repo = DataUseRepository(uow)
        if data.customer_ids is not None:
            wanted = sorted(set(data.customer_ids))
            missing = sorted(set(wanted) - repo.visible_customer_ids(wanted))
            if missing:
                raise ValidationProblem(
                    f"客户不存在或不在您的范围内 / unknown or out-of-area customers: {missing}",
                    field="customer_ids",
                )
            customer_ids: list[int] | None = wanted
        else:
            customer_ids = None
        if data.scope_unit_id is not None and repo.unit(data.scope_unit_id) is None:
            raise ValidationProblem("组织单位不存在 / unknown org unit", field="scope_unit_id")
        req = DataUseRequest(
            kind=data.kind,
            requester_id=actor.account_id,
            requester_name=actor.username,
            purpose=data.purpose.strip(),
            fields=data.fields,
            customer_ids=customer_ids,
            scope_unit_id=data.scope_unit_id,
            period_from=data.period_from,
            period_to=data.period_to,
            status=RequestStatus.PENDING_HEAD,
            created_at=now,
            org_unit_id=actor.org_unit_id,
        )
        uow.session.add(req)
        uow.session.flush()
        uow.audit(
            "datause.request",
            object_type="datause_request",
            object_id=req.id,
            org_unit_id=req.org_unit_id,
            after=_summary(req),
            note=req.purpose[:200],
        )
        uow.emit(DataUseRequested(request_id=req.id, requester_id=actor.account_id, kind=req.kind))
        uow.commit()
        return req.id


def do_decide(uow: UnitOfWork, request_id: int, step: str, decision: Decision) -> RequestOut:
    """``step`` is "head" or "dso"; the route's guard has checked the matching permission."""
    now = clock.now()
    actor = uow.actor
    with uow:
        repo = DataUseRepository(uow)
        req = repo.request(request_id, lock=True)
        if req is None:  # outside the approver's subtree looks exactly like absent
            raise NotFoundError(NOT_FOUND)
        if req.status != STEPS[step]:
            raise ConflictError(
                f"该申请不在{STEP_NAMES[step].split(' / ')[0]}审批环节 / the request is not "
                f"waiting for the {STEP_NAMES[step].split(' / ')[1]} (status {req.status.value})"
            )
        if req.requester_id == actor.account_id:
            raise PermissionDeniedError(SELF_APPROVAL)
        if step == "dso" and req.head_id == actor.account_id:
            raise PermissionDeniedError(
                "两级审批须由不同人员完成 / the two approvals need two different people"
            )
        before = _summary(req)
        note = (decision.note or "").strip() or None
        if step == "head":
            req.head_id, req.head_name, req.head_at, req.head_note = (
                actor.account_id,
                actor.username,
                now,
                note,
            )
        else:
            req.dso_id, req.dso_name, req.dso_at, req.dso_note = (
                actor.account_id,
                actor.username,
                now,
                note,
            )
        grant: DataUseGrant | None = None
        if not decision.approve:
            req.status = RequestStatus.REJECTED
        elif step == "head":
            req.status = RequestStatus.PENDING_DSO
        else:
            if req.period_to <= now:
                raise ConflictError("使用期限已过 / the requested period is already over")
            req.status = RequestStatus.APPROVED
            grant = _grant_for(repo, req, now)
            uow.session.add(grant)
        uow.session.flush()
        verb = "approve" if decision.approve else "reject"
        uow.audit(
            f"datause.{verb}_{step}",
            object_type="datause_request",
            object_id=req.id,
            org_unit_id=req.org_unit_id,
            before=before,
            after={**_summary(req), "grant_id": grant.id if grant else None},
            note=note,
        )
        uow.emit(
            DataUseRequestDecided(
                request_id=req.id, step=step, approved=decision.approve, decided_by=actor.account_id
            )
        )
        if grant is not None:
            uow.emit(
                DataUseGranted(
                    grant_id=grant.id,
                    request_id=req.id,
                    grantee_id=grant.grantee_id,
                    valid_to=grant.valid_to.isoformat(),
                )
            )
        uow.commit()
        return _out(req, grant.id if grant else None)


def _grant_for(repo: DataUseRepository, req: DataUseRequest, now: object) -> DataUseGrant:
    scope_path: str | None = None
    if req.scope_unit_id is not None:
        unit = repo.unit(req.scope_unit_id)
        if unit is None:
            raise NotFoundError(NOT_FOUND)
        scope_path = unit.path
    return DataUseGrant(
        request_id=req.id,
        kind=req.kind,
        grantee_id=req.requester_id,
        grantee_name=req.requester_name,
        fields=list(req.fields),
        customer_ids=list(req.customer_ids) if req.customer_ids is not None else None,
        scope_path=scope_path,
        valid_from=req.period_from,
        valid_to=req.period_to,
        granted_at=now,
        org_unit_id=req.org_unit_id,
    )


def _out(req: DataUseRequest, grant_id: int | None) -> RequestOut:
    return RequestOut.model_validate(req).model_copy(update={"grant_id": grant_id})


def get_request(uow: UnitOfWork, request_id: int) -> RequestOut:
    with uow:
        repo = DataUseRepository(uow)
        req = repo.request(request_id)
        if req is None:
            raise NotFoundError(NOT_FOUND)
        grant = repo.grant_of_request(req.id)
        return _out(req, grant.id if grant else None)


def my_requests(uow: UnitOfWork) -> list[RequestOut]:
    with uow:
        repo = DataUseRepository(uow)
        reqs = repo.requests(requester_id=uow.actor.account_id or -1)
        grants = repo.grant_ids_of_requests([r.id for r in reqs])
        return [_out(r, grants.get(r.id)) for r in reqs]


def inbox(uow: UnitOfWork) -> list[RequestOut]:
    """Requests of the caller's subtree waiting at a step the caller may decide."""
    statuses = []
    if uow.actor.can(Perm.DATAUSE_APPROVE_HEAD):
        statuses.append(RequestStatus.PENDING_HEAD)
    if uow.actor.can(Perm.DATAUSE_APPROVE_DSO):
        statuses.append(RequestStatus.PENDING_DSO)
    if not statuses:
        return []
    with uow:
        reqs = DataUseRepository(uow).requests(statuses=statuses)
        return [_out(r, None) for r in reqs]


def my_grants(uow: UnitOfWork) -> list[GrantOut]:
    now = clock.now()
    with uow:
        grants = DataUseRepository(uow).grants_of(uow.actor.account_id or -1)
        return [
            GrantOut.model_validate(g).model_copy(update={"active": g.active_at(now)})
            for g in grants
        ]


def list_grants(uow: UnitOfWork, active_only: bool, paging: PageQuery) -> Page[GrantOut]:
    now = clock.now()
    with uow:
        items, total = DataUseRepository(uow).grants(
            active_at=now if active_only else None, paging=paging
        )
        out = [
            GrantOut.model_validate(g).model_copy(update={"active": g.active_at(now)})
            for g in items
        ]
    return Page[GrantOut](items=out, total=total, page=paging.page, size=paging.size)


def do_revoke_grant(uow: UnitOfWork, grant_id: int, data: GrantRevoke) -> GrantOut:
    """End a grant before its time (DATA-4): from now on it reveals nothing. Only grants of
    the caller's area; a grant no longer in force cannot be revoked."""
    now = clock.now()
    actor = uow.actor
    with uow:
        repo = DataUseRepository(uow)
        grant = repo.grant(grant_id, lock=True)
        if grant is None:
            raise NotFoundError("授权不存在 / grant not found")
        if grant.revoked_at is not None or grant.valid_to <= now:
            raise ConflictError("授权已不在有效期内 / the grant is no longer in force")
        before = {"valid_to": grant.valid_to.isoformat()}
        grant.valid_to = max(now, grant.valid_from)
        grant.revoked_at = now
        grant.revoked_by = actor.username
        grant.revoke_reason = data.reason
        uow.audit(
            "datause.grant_revoked",
            object_type="datause_grant",
            object_id=str(grant.id),
            org_unit_id=grant.org_unit_id,
            before=before,
            after={"valid_to": grant.valid_to.isoformat(), "reason": data.reason},
        )
        uow.emit(
            DataUseGrantRevoked(
                grant_id=grant.id, grantee_id=grant.grantee_id, revoked_by=actor.account_id
            )
        )
        out = GrantOut.model_validate(grant).model_copy(update={"active": False})
        uow.commit()
        return out
