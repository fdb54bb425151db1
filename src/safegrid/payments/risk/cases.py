"""Risk cases (PAY-5): work orders for manual review of an account whose requests matched
a pattern (test payments, pay-then-refund). Opening one suspends the account's online
functions and alerts the unit's managers (``raise_alert(kind="risk_case")``).

A reviewer (data security officer, finance) then decides: **lift** (cleared — every
suspension of the account ends now, and the pattern rules only count what happens after),
**confirm** (fraud confirmed — the suspension runs its course) or **extend** (more time
to investigate — the suspension is extended, the case stays open). Whoever caused the
case (e.g. the staff member who asked for the refund) may not decide it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, insert, select

from safegrid.alerts.raise_alert import raise_alert
from safegrid.customers.models import Account
from safegrid.payments.risk import own_events
from safegrid.payments.risk.decide import FiredRule
from safegrid.payments.risk.history import for_session, synced
from safegrid.payments.risk.models import CaseStatus, EventKind, RiskCase, RiskEvent
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

NOT_FOUND: Final = "风险工单不存在 / risk case not found"
UNDECIDED: Final = (CaseStatus.OPEN, CaseStatus.EXTENDED)
MAX_EXTEND_HOURS: Final = 30 * 24


def open_case(
    uow: UnitOfWork,
    *,
    account_id: int,
    unit: int,
    decision_id: int,
    fired: list[FiredRule],
    until: datetime,
) -> int:
    """In the caller's transaction (the engine's). An account with an undecided case keeps
    that one (its suspension is stretched to ``until``); otherwise a new case + alert."""
    session = uow.session
    existing = session.scalars(
        select(RiskCase)
        .where(RiskCase.account_id == account_id, RiskCase.status.in_(UNDECIDED))
        .order_by(RiskCase.id)
        .limit(1),
        execution_options=unscoped("one open case per account, utility-wide"),
    ).first()
    codes = ",".join(f.rule_id for f in fired)[:200]
    if existing is not None:
        if existing.suspended_until is None or existing.suspended_until < until:
            existing.suspended_until = until
        return existing.id
    case = RiskCase(
        account_id=account_id,
        org_unit_id=unit,
        decision_id=decision_id,
        status=CaseStatus.OPEN,
        rules=codes,
        opened_at=clock.now(),
        opened_by=uow.actor.username,
        suspended_until=until,
    )
    session.add(case)
    session.flush()
    number = session.scalar(
        select(Account.number).where(Account.id == account_id),
        execution_options=unscoped("the case's account number, in any unit"),
    )
    uow.audit(
        "risk.case_opened",
        object_type="risk_case",
        object_id=case.id,
        org_unit_id=unit,
        after={
            "account": number,
            "rules": codes,
            "decision_id": decision_id,
            "suspended_until": until.isoformat(),
        },
    )
    case.alert_id = raise_alert(
        session,
        kind="risk_case",
        object_type="risk_case",
        object_id=str(case.id),
        label=number,
        before=None,
        after=codes,
        unit_id=unit,
        actor=uow.actor,
        text=(
            f"【SafeGrid】户号 {number} 触发风控规则 {codes}，线上业务已暂停至 "
            f"{until.astimezone(clock.BUSINESS_TZ):%m-%d %H:%M}，请复核风险工单 #{case.id}。 "
            f"Risk case #{case.id}: account {number} matched {codes}; online functions "
            f"suspended, please review."
        ),
    )
    return case.id


@dataclasses.dataclass(frozen=True)
class CaseView:
    id: int
    account_id: int
    account_number: str
    org_unit_id: int
    status: CaseStatus
    rules: str
    opened_at: datetime
    opened_by: str
    suspended_until: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    decision: dict[str, Any]  # the decision that opened it: request, amount, fired + inputs


def _view(case: RiskCase, number: str, event: RiskEvent | None) -> CaseView:
    decision: dict[str, Any] = {}
    if event is not None:
        decision = {
            "id": event.id,
            "kind": event.kind.value,
            "amount": None if event.amount is None else str(event.amount),
            "device_id": event.device_id,
            "ip": event.ip,
            "at": event.at,
            "action": event.action,
            "rule_set_version": event.rule_set_version,
            "fired": event.fired or [],
        }
    return CaseView(
        case.id,
        case.account_id,
        number,
        case.org_unit_id,
        case.status,
        case.rules,
        case.opened_at,
        case.opened_by,
        case.suspended_until,
        case.decided_by,
        case.decided_at,
        case.note,
        decision,
    )


def list_cases(uow: UnitOfWork, status: CaseStatus | None, paging: PageQuery) -> Page[CaseView]:
    """Newest first, optionally one status; the scope limits them to the caller's subtree."""
    with uow:
        stmt = (
            select(RiskCase, Account.number, RiskEvent)
            .join(Account, Account.id == RiskCase.account_id)
            .join(RiskEvent, RiskEvent.id == RiskCase.decision_id)
        )
        count = select(func.count()).select_from(RiskCase)
        if status is not None:
            stmt = stmt.where(RiskCase.status == status)
            count = count.where(RiskCase.status == status)
        total = uow.session.scalar(count) or 0
        rows = uow.session.execute(
            stmt.order_by(RiskCase.id.desc()).offset(paging.offset).limit(paging.size)
        ).all()
        return Page[CaseView](
            items=[_view(c, n, e) for c, n, e in rows],
            total=int(total),
            page=paging.page,
            size=paging.size,
        )


def get_case(uow: UnitOfWork, case_id: int) -> CaseView:
    with uow:
        return _view(*_load(uow, case_id))


def _load(uow: UnitOfWork, case_id: int) -> tuple[RiskCase, str, RiskEvent | None]:
    row = uow.session.execute(
        select(RiskCase, Account.number)
        .join(Account, Account.id == RiskCase.account_id)
        .where(RiskCase.id == case_id)
    ).first()
    if row is None:
        raise NotFoundError(NOT_FOUND)
    case, number = row
    event = uow.session.scalars(
        select(RiskEvent).where(RiskEvent.id == case.decision_id),
        execution_options=unscoped("the decision that opened the case"),
    ).first()
    return case, number, event


def _decidable(uow: UnitOfWork, case_id: int, note: str) -> tuple[RiskCase, str]:
    if not note.strip() or len(note) > 500:
        raise ValidationProblem(
            "请填写复核意见（500 字以内）/ a review note is required (≤ 500)", field="note"
        )
    case, number, _ = _load(uow, case_id)
    if case.status not in UNDECIDED:
        raise ConflictError(
            f"工单已处理（{case.status.value}）/ case already decided: {case.status.value}",
            field="case_id",
        )
    if uow.actor.username == case.opened_by:
        raise PermissionDeniedError(
            "引发风险工单的人不能复核该工单 / whoever caused a risk case may not review it"
        )
    return case, number


def _suspend_event(
    uow: UnitOfWork, case: RiskCase, kind: EventKind, source: str, until: datetime | None
) -> None:
    values = {
        "kind": kind,
        "account_id": case.account_id,
        "at": clock.now(),
        "until": until,
        "source": source,
        "case_id": case.id,
        "recorded_by": uow.actor.username,
        "org_unit_id": case.org_unit_id,
    }
    event_id = uow.session.execute(
        insert(RiskEvent).returning(RiskEvent.id),
        [values],
        execution_options=unscoped("risk events are written for every unit"),
    ).scalar_one()
    own_events.track(uow.session, int(event_id), values)


def _finish(
    uow: UnitOfWork,
    case: RiskCase,
    number: str,
    status: CaseStatus,
    note: str,
    before: dict[str, Any],
) -> CaseView:
    case.status, case.note = status, note.strip()
    case.decided_by, case.decided_at = uow.actor.username, clock.now()
    uow.audit(
        f"risk.case_{status.value}",
        object_type="risk_case",
        object_id=case.id,
        org_unit_id=case.org_unit_id,
        before=before,
        after={
            "status": status.value,
            "note": case.note,
            "suspended_until": _iso(case.suspended_until),
        },
    )
    view = _view(case, number, None)
    uow.commit()
    return view


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def do_lift(uow: UnitOfWork, case_id: int, note: str) -> CaseView:
    """Cleared: every suspension of the account ends now (and the case's own)."""
    with uow:
        case, number = _decidable(uow, case_id, note)
        before = {"status": case.status.value, "suspended_until": _iso(case.suspended_until)}
        hist = for_session(uow.session)
        with hist.lock:
            seen = own_events.view(uow.session, synced(uow))
            sources = set(seen.suspension_sources(case.account_id))
        for source in sources | {f"case:{case.id}"}:
            _suspend_event(uow, case, EventKind.LIFTED, source, None)
        case.suspended_until = clock.now()
        return _finish(uow, case, number, CaseStatus.LIFTED, note, before)


def do_confirm(uow: UnitOfWork, case_id: int, note: str) -> CaseView:
    """Fraud confirmed: the suspension stays until it ends."""
    with uow:
        case, number = _decidable(uow, case_id, note)
        before = {"status": case.status.value, "suspended_until": _iso(case.suspended_until)}
        return _finish(uow, case, number, CaseStatus.CONFIRMED, note, before)


def do_extend(uow: UnitOfWork, case_id: int, hours: int, note: str) -> CaseView:
    """More time to investigate: the suspension runs ``hours`` longer; the case stays open."""
    if not 1 <= hours <= MAX_EXTEND_HOURS:
        raise ValidationProblem(
            f"延长时长须在 1–{MAX_EXTEND_HOURS} 小时 / hours must be 1–{MAX_EXTEND_HOURS}",
            field="hours",
        )
    with uow:
        case, number = _decidable(uow, case_id, note)
        before = {"status": case.status.value, "suspended_until": _iso(case.suspended_until)}
        start = max(case.suspended_until or clock.now(), clock.now())
        case.suspended_until = start + timedelta(hours=hours)
        _suspend_event(uow, case, EventKind.SUSPENDED, f"case:{case.id}", case.suspended_until)
        return _finish(uow, case, number, CaseStatus.EXTENDED, note, before)
