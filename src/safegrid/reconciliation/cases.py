"""Reconciliation cases (REC-3): every red item gets one, due 5 Chinese working days later,
owned by finance (or the department head) of the unit that owns the money or the nearest
unit above it. Whoever resolves a case (cause, fix ticket or responsible person and the
payment that made the shortfall up, evidence) cannot close it: a second person does.
Overdue cases escalate to the department heads through the notification outbox.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Final, cast

from sqlalchemy import Table, case, exists, func, insert, literal, select
from sqlalchemy.orm import aliased

from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import calendar_days, system_side
from safegrid.reconciliation.events import ReconCaseClosed, ReconCaseOpened
from safegrid.reconciliation.models import (
    CaseCause,
    CaseStatus,
    Colour,
    Decision,
    MatchItem,
    ReconCase,
)
from safegrid.reconciliation.settings import get_recon_settings
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import POLICY, Perm, Post
from safegrid.security.scope import unscoped

NOT_FOUND: Final = "对账工单不存在 / reconciliation case not found"
OWNER_POSTS: Final = (Post.FINANCE, Post.DEPARTMENT_HEAD)


def due_from(day: date) -> date:
    return calendar_days.add_working_days(day, get_recon_settings().case_working_days)


def _owner_for(unit_id: Any) -> Any:
    """Finance (else a department head) of the item's unit or the nearest unit above it."""
    iu, su = aliased(OrgUnit), aliased(OrgUnit)
    return (
        select(StaffAccount.id)
        .join(su, su.id == StaffAccount.org_unit_id)
        .where(
            iu.id == unit_id,
            iu.path.startswith(su.path),
            StaffAccount.post.in_(OWNER_POSTS),
        )
        .order_by(
            func.length(su.path).desc(),
            case((StaffAccount.post == Post.FINANCE, 0), else_=1),
            StaffAccount.id,
        )
        .limit(1)
        .scalar_subquery()
    )


def open_for_red_items(uow: UnitOfWork, period: str) -> int:
    """In the run's transaction: one case per red item that has none (set-based)."""
    session = uow.session
    now = clock.now()
    due = due_from(clock.business_day(now))
    has_case = exists().where(ReconCase.item_id == MatchItem.id)
    red = select(
        MatchItem.id, MatchItem.org_unit_id, literal(CaseStatus.OPEN.value), literal(now),
        literal(due), _owner_for(MatchItem.org_unit_id),
    ).where(MatchItem.period == period, MatchItem.colour == Colour.RED, ~has_case)  # fmt: skip
    table = cast(Table, ReconCase.__table__)
    opened = session.execute(
        insert(table)
        .from_select(["item_id", "org_unit_id", "status", "opened_at", "due_on", "owner_id"], red)
        .returning(table.c.id, table.c.item_id),
        execution_options=system_side.WHOLE_UTILITY,
    ).all()
    if opened:
        uow.audit(
            "recon.cases_opened",
            object_type="recon_period",
            object_id=period,
            after={"cases": len(opened), "due_on": due.isoformat()},
        )
        uow.emit_many([ReconCaseOpened(c, i, due.isoformat()) for c, i in opened])
    return len(opened)


def _case(uow: UnitOfWork, case_id: int) -> ReconCase:
    case = uow.session.scalars(select(ReconCase).where(ReconCase.id == case_id)).first()
    if case is None:  # scoped: another unit's case is not found
        raise NotFoundError(NOT_FOUND)
    return case


def _require_work(uow: UnitOfWork) -> None:
    if not uow.actor.can(Perm.RECON_WORK):
        raise PermissionDeniedError("无对账权限 / not allowed to work reconciliation cases")


# The owner may sit above the person assigning (a county hands a case to the city's finance).
OWNER_LOOKUP: Final = unscoped("a case's owner may sit in a unit above the one assigning it")
WORKING_POSTS: Final = tuple(p for p in Post if Perm.RECON_WORK in POLICY[p])


def owner_candidates(unit_id: int) -> Any:
    """Active staff who may work a case of ``unit_id``: they hold reconciliation.work in
    that unit or a unit above it (the unit that owns the money answers for it)."""
    case_unit = aliased(OrgUnit)
    staff_unit = aliased(OrgUnit)
    return (
        select(StaffAccount)
        .join(staff_unit, staff_unit.id == StaffAccount.org_unit_id)
        .join(case_unit, case_unit.id == unit_id)
        .where(
            case_unit.path.startswith(staff_unit.path),
            StaffAccount.post.in_(WORKING_POSTS),
            StaffAccount.status == AccountStatus.ACTIVE,
        )
        .order_by(func.length(staff_unit.path).desc(), StaffAccount.username)
    )


def do_assign(uow: UnitOfWork, case_id: int, owner_id: int) -> None:
    _require_work(uow)
    with uow:
        case = _case(uow, case_id)
        if case.status == CaseStatus.CLOSED:
            raise ConflictError("工单已关闭 / case is closed", field="status")
        owner = uow.session.scalars(
            owner_candidates(case.org_unit_id).where(StaffAccount.id == owner_id),
            execution_options=OWNER_LOOKUP,
        ).first()
        if owner is None:
            raise ValidationProblem(
                "负责人须为本单位或上级单位的对账人员 / the owner must work reconciliation in "
                "the case's unit or a unit above it",
                field="owner_id",
            )
        before = case.owner_id
        case.owner_id = owner.id
        uow.audit(
            "recon.case_assigned", object_type="recon_case", object_id=case.id,
            org_unit_id=case.org_unit_id, before={"owner_id": before},
            after={"owner_id": owner.id, "owner": owner.username},
        )  # fmt: skip
        uow.commit()


def do_resolve(
    uow: UnitOfWork,
    case_id: int,
    *,
    cause: CaseCause,
    detail: str,
    ticket: str | None = None,
    responsible: str | None = None,
    made_up_by_payment_id: int | None = None,
    evidence: tuple[str, bytes] | None = None,
) -> None:
    """Records the cause (with its evidence file, in the same unit of work) and proposes
    the case for closing by a second person."""
    _require_work(uow)
    if evidence is not None:
        _check_evidence(evidence[1])
    if not detail.strip():
        raise ValidationProblem("请说明原因 / describe the cause", field="detail")
    if cause == CaseCause.TECHNICAL and not ticket:
        raise ValidationProblem(
            "技术原因须填接口修复工单号 / a technical cause needs a fix ticket", field="ticket"
        )
    if cause == CaseCause.HUMAN and not (responsible and made_up_by_payment_id):
        raise ValidationProblem(
            "人为原因须填责任人及补足款项 / a human cause needs the responsible person and the "
            "payment that made the shortfall up",
            field="responsible",
        )
    with uow:
        case = _case(uow, case_id)
        if case.status != CaseStatus.OPEN:
            raise ConflictError(f"工单状态为 {case.status} / case is {case.status}", field="status")
        case.cause, case.cause_detail, case.ticket = cause, detail.strip()[:400], ticket
        case.responsible, case.made_up_by_payment_id = responsible, made_up_by_payment_id
        case.status, case.resolved_by, case.resolved_at = (
            CaseStatus.RESOLVED, uow.actor.username, clock.now(),
        )  # fmt: skip
        uow.audit(
            "recon.case_resolved", object_type="recon_case", object_id=case.id,
            org_unit_id=case.org_unit_id,
            after={"cause": cause.value, "detail": case.cause_detail, "ticket": ticket,
                   "responsible": responsible, "made_up_by_payment_id": made_up_by_payment_id},
        )  # fmt: skip
        if evidence is not None:
            _store_evidence(uow, case, *evidence)
        uow.commit()


def _check_evidence(data: bytes) -> None:
    if not data:
        raise ValidationProblem("证据文件为空 / empty evidence file", field="evidence")
    if len(data) > get_recon_settings().evidence_max_bytes:
        raise ValidationProblem("证据文件过大 / evidence file too large", field="evidence")


def _store_evidence(uow: UnitOfWork, case: ReconCase, filename: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{case.id}/{digest}"
    target = get_recon_settings().evidence_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():  # named by content: the same bytes are the same file
        target.write_bytes(data)
    case.evidence_path, case.evidence_sha256 = relative, digest
    uow.audit(
        "recon.case_evidence", object_type="recon_case", object_id=case.id,
        org_unit_id=case.org_unit_id, after={"file": filename[:200], "sha256": digest},
    )  # fmt: skip
    return digest


def do_attach_evidence(uow: UnitOfWork, case_id: int, filename: str, data: bytes) -> str:
    _require_work(uow)
    _check_evidence(data)
    with uow:
        case = _case(uow, case_id)
        if case.status == CaseStatus.CLOSED:
            raise ConflictError("工单已关闭 / case is closed", field="status")
        digest = _store_evidence(uow, case, filename, data)
        uow.commit()
    return digest


def do_close(uow: UnitOfWork, case_id: int, note: str) -> None:
    _require_work(uow)
    with uow:
        case = _case(uow, case_id)
        if case.status != CaseStatus.RESOLVED:
            raise ConflictError("工单尚未查明原因 / case has no resolution yet", field="status")
        if case.resolved_by == uow.actor.username:
            raise PermissionDeniedError("须由另一人关闭工单 / a second person must close the case")
        case.status, case.closed_by, case.closed_at = (
            CaseStatus.CLOSED,
            uow.actor.username,
            clock.now(),
        )
        uow.audit(
            "recon.case_closed", object_type="recon_case", object_id=case.id,
            org_unit_id=case.org_unit_id, after={"note": note[:400], "resolved_by": case.resolved_by},
        )  # fmt: skip
        uow.emit(ReconCaseClosed(case.id, uow.actor.username))
        uow.commit()


def do_review_yellow(uow: UnitOfWork, item_id: int, *, accept: bool, reason: str) -> int | None:
    """A yellow difference is accepted with a reason, or turned red (which opens a case)."""
    _require_work(uow)
    if not reason.strip():
        raise ValidationProblem("请填写理由 / give a reason", field="reason")
    with uow:
        item = uow.session.scalars(select(MatchItem).where(MatchItem.id == item_id)).first()
        if item is None:
            raise NotFoundError("对账项不存在 / reconciliation item not found")
        if item.colour != Colour.YELLOW or item.decision is not None:
            raise ConflictError(
                "只能复核未决的黄色项 / only an undecided yellow item is reviewed", field="colour"
            )
        item.decision = Decision.ACCEPTED if accept else Decision.TURNED_RED
        item.decision_reason, item.decided_by, item.decided_at = (
            reason.strip()[:400],
            uow.actor.username,
            clock.now(),
        )
        case_id = None
        if not accept:
            item.colour = Colour.RED
            case = ReconCase(
                item_id=item.id, org_unit_id=item.org_unit_id, status=CaseStatus.OPEN,
                opened_at=clock.now(), due_on=due_from(clock.business_day()),
            )  # fmt: skip
            uow.session.add(case)
            uow.session.flush()
            case_id = case.id
            uow.emit(ReconCaseOpened(case.id, item.id, case.due_on.isoformat()))
        uow.audit(
            "recon.yellow_reviewed", object_type="recon_item", object_id=item.id,
            org_unit_id=item.org_unit_id,
            after={"decision": item.decision.value, "reason": item.decision_reason, "case": case_id},
        )  # fmt: skip
        uow.commit()
    return case_id
