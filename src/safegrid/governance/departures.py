"""Departures (IAM-5): an HR departure notice freezes the account and revokes every session.

A notice whose effective time has come is carried out in the same transaction that records
it; a future one is carried out by the ``governance.departure_freeze`` job (every five
minutes), so the 4-hour limit holds with margin. The compliance report lists each notice
with its received, effective and frozen times and flags those frozen more than 4 hours
after the effective time — or not frozen yet though 4 hours have passed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update

from safegrid.governance.models import DepartureNotice
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AccountStatus, AuthSession, StaffAccount
from safegrid.security.scope import unscoped

FREEZE_LIMIT: Final = timedelta(hours=4)


@dataclasses.dataclass(frozen=True)
class NewDeparture:
    account_id: int
    effective_at: datetime
    reason: str


def freeze_accounts(uow: UnitOfWork, account_ids: Sequence[int], now: datetime) -> int:
    """Freezes the accounts (a disabled one stays disabled) and revokes all their live
    sessions, set-based; returns how many sessions ended. The caller audits."""
    if not account_ids:
        return 0
    ids = list(account_ids)
    uow.session.execute(
        update(StaffAccount)
        .where(StaffAccount.id.in_(ids), StaffAccount.status != AccountStatus.DISABLED)
        .values(status=AccountStatus.FROZEN),
        execution_options={
            **unscoped("a departed account is frozen wherever it sits"),
            "synchronize_session": False,
        },
    )
    return revoke_sessions(uow, ids, now)


def revoke_sessions(uow: UnitOfWork, account_ids: Sequence[int], now: datetime) -> int:
    result = uow.session.execute(
        update(AuthSession)
        .where(AuthSession.account_id.in_(list(account_ids)), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def do_record_departure(uow: UnitOfWork, data: NewDeparture) -> int:
    if data.effective_at.tzinfo is None:
        raise ValidationProblem(
            "生效时间须带时区 / effective time needs a timezone", field="effective_at"
        )
    reason = data.reason.strip()
    if not reason:
        raise ValidationProblem("请填写离职说明 / give the reason", field="reason")
    now = clock.now()
    with uow:
        # Scoped: a notice for someone outside the caller's subtree is a 404.
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.id == data.account_id)
        ).first()
        if account is None:
            raise NotFoundError("账号不存在 / account not found", field="account_id")
        if account.id == uow.actor.account_id:
            raise PermissionDeniedError("不能登记本人的离职 / you cannot record your own departure")
        open_notice = uow.session.scalar(
            select(DepartureNotice.id).where(
                DepartureNotice.account_id == account.id, DepartureNotice.frozen_at.is_(None)
            )
        )
        if open_notice is not None:
            raise ConflictError(
                f"该账号已有待执行的离职通知 #{open_notice} / a departure notice for this "
                "account is already pending",
                field="account_id",
            )
        notice = DepartureNotice(
            account_id=account.id,
            org_unit_id=account.org_unit_id,
            reason=reason[:200],
            received_at=now,
            effective_at=data.effective_at,
            recorded_by_id=uow.actor.account_id,
            recorded_by=uow.actor.username,
            sessions_revoked=0,
        )
        uow.session.add(notice)
        uow.session.flush()
        immediate = data.effective_at <= now
        if immediate:
            notice.sessions_revoked = freeze_accounts(uow, [account.id], now)
            notice.frozen_at = now
        uow.audit(
            "staff.departure_recorded",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            after={
                "notice": notice.id,
                "effective_at": data.effective_at.isoformat(),
                "frozen": immediate,
                "sessions_revoked": notice.sessions_revoked,
            },
        )
        uow.commit()
        return notice.id


def run_departure_freeze(uow: UnitOfWork) -> dict[str, int]:
    """Carry out every notice whose effective time has come; one summary audit entry."""
    now = clock.now()
    with uow:
        due = uow.session.execute(
            select(DepartureNotice.id, DepartureNotice.account_id).where(
                DepartureNotice.frozen_at.is_(None), DepartureNotice.effective_at <= now
            )
        ).all()
        if not due:
            return {"frozen": 0, "sessions_revoked": 0}
        notice_ids = [r[0] for r in due]
        revoked = freeze_accounts(uow, sorted({r[1] for r in due}), now)
        uow.session.execute(
            update(DepartureNotice).where(DepartureNotice.id.in_(notice_ids)).values(frozen_at=now),
            execution_options={"synchronize_session": False},
        )
        uow.audit(
            "staff.departures_frozen",
            object_type="departure_notice",
            after={"notices": notice_ids, "sessions_revoked": revoked},
        )
        uow.commit()
        return {"frozen": len(notice_ids), "sessions_revoked": revoked}


@dataclasses.dataclass(frozen=True)
class ComplianceRow:
    notice_id: int
    account_id: int
    username: str
    real_name: str
    org_unit_id: int
    reason: str
    received_at: datetime
    effective_at: datetime
    frozen_at: datetime | None
    sessions_revoked: int
    delay: timedelta | None  # frozen_at - effective_at (never negative)
    within_limit: bool | None  # None: not due yet
    late: bool


def compliance_report(uow: UnitOfWork, *, late_only: bool = False) -> list[ComplianceRow]:
    now = clock.now()
    with uow:
        rows = uow.session.execute(
            select(DepartureNotice, StaffAccount)
            .join(StaffAccount, StaffAccount.id == DepartureNotice.account_id)
            .order_by(DepartureNotice.effective_at.desc(), DepartureNotice.id.desc())
            .limit(1000)
        ).all()
    out = []
    for notice, account in rows:
        delay: timedelta | None = None
        within: bool | None
        if notice.frozen_at is not None:
            took = max(notice.frozen_at - notice.effective_at, timedelta(0))
            delay, within = took, took <= FREEZE_LIMIT
        else:
            delay = None
            within = (
                None if notice.effective_at > now else now - notice.effective_at <= FREEZE_LIMIT
            )
        late = within is False
        if late_only and not late:
            continue
        out.append(
            ComplianceRow(
                notice.id,
                account.id,
                account.username,
                account.real_name,
                notice.org_unit_id,
                notice.reason,
                notice.received_at,
                notice.effective_at,
                notice.frozen_at,
                notice.sessions_revoked,
                delay,
                within,
                late,
            )
        )
    return out
