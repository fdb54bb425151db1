"""Idle accounts (IAM-6): a monthly run lists active accounts with no login for more than
30 days (never signed in: counted from creation); a system administrator then disables
each (its sessions end) or keeps it. Nothing is disabled without that confirmation."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, insert, select

from safegrid.governance.departures import revoke_sessions
from safegrid.governance.models import IdleReview, ReviewStatus
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, PermissionDeniedError
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AccountStatus, StaffAccount

IDLE_AFTER: Final = timedelta(days=30)


def run_idle_listing(uow: UnitOfWork) -> dict[str, int | str]:
    """Lists this month's idle accounts, set-based; rerunning in the same month adds nothing."""
    now = clock.now()
    month = clock.business_day(now).strftime("%Y-%m")
    last_active = func.coalesce(StaffAccount.last_login_at, StaffAccount.created_at)
    with uow:
        already = select(IdleReview.account_id).where(IdleReview.run_month == month)
        rows = uow.session.execute(
            select(StaffAccount.id, StaffAccount.org_unit_id, last_active).where(
                StaffAccount.status == AccountStatus.ACTIVE,
                last_active < now - IDLE_AFTER,
                StaffAccount.id.not_in(already),
            )
        ).all()
        if rows:
            uow.session.execute(
                insert(IdleReview),
                [
                    {
                        "account_id": r[0],
                        "org_unit_id": r[1],
                        "run_month": month,
                        "last_active_at": r[2],
                        "listed_at": now,
                        "status": ReviewStatus.LISTED,
                    }
                    for r in rows
                ],
            )
            uow.audit(
                "staff.idle_listed",
                object_type="idle_review",
                after={"month": month, "listed": len(rows)},
            )
            uow.commit()
        return {"month": month, "listed": len(rows)}


def do_decide(uow: UnitOfWork, review_id: int, *, disable: bool) -> None:
    now = clock.now()
    with uow:
        review = uow.session.scalars(select(IdleReview).where(IdleReview.id == review_id)).first()
        if review is None:
            raise NotFoundError("记录不存在 / review not found")
        if review.status != ReviewStatus.LISTED:
            raise ConflictError(f"已处理 / already decided ({review.status.value})")
        if review.account_id == uow.actor.account_id:
            raise PermissionDeniedError("不能处理本人账号 / you cannot decide on your own account")
        account = uow.session.get_one(StaffAccount, review.account_id)
        review.status = ReviewStatus.DISABLED if disable else ReviewStatus.KEPT
        review.decided_by_id, review.decided_at = uow.actor.account_id, now
        revoked = 0
        if disable and account.status == AccountStatus.ACTIVE:
            account.status = AccountStatus.DISABLED
            uow.session.flush()
            revoked = revoke_sessions(uow, [account.id], now)
        uow.audit(
            "staff.idle_disabled" if disable else "staff.idle_kept",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            after={
                "review": review.id,
                "status": account.status.value,
                "sessions_revoked": revoked,
            },
        )
        uow.commit()


@dataclasses.dataclass(frozen=True)
class IdleRow:
    review_id: int
    account_id: int
    username: str
    real_name: str
    org_unit_id: int
    run_month: str
    last_active_at: datetime
    status: ReviewStatus


def list_reviews(
    uow: UnitOfWork, status: ReviewStatus | None = ReviewStatus.LISTED
) -> list[IdleRow]:
    with uow:
        stmt = select(IdleReview, StaffAccount).join(
            StaffAccount, StaffAccount.id == IdleReview.account_id
        )
        if status is not None:
            stmt = stmt.where(IdleReview.status == status)
        rows = uow.session.execute(stmt.order_by(IdleReview.id.desc()).limit(1000)).all()
        return [
            IdleRow(
                r.id,
                a.id,
                a.username,
                a.real_name,
                r.org_unit_id,
                r.run_month,
                r.last_active_at,
                r.status,
            )
            for r, a in rows
        ]
