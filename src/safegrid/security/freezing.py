"""Who may be frozen, and in what order the rows are locked — one rule for the security
playbooks (secops) and the administrator's console (governance): never the last active
system administrator, counted utility-wide under row locks taken in id order, so two
freezes at once neither deadlock nor leave the utility without one."""

from __future__ import annotations

from sqlalchemy import select

from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Post
from safegrid.security.scope import unscoped


class LastAdministratorError(ConflictError):
    pass


def freeze_target(uow: UnitOfWork, account_id: int, *, lock: bool) -> StaffAccount:
    found = uow.session.scalars(select(StaffAccount).where(StaffAccount.id == account_id)).first()
    if found is None:  # scoped: an account outside the caller's subtree is not found
        raise NotFoundError("账号不存在 / account not found", field="account_id")
    if lock:
        if found.post == Post.SYSTEM_ADMIN:
            # Every administrator in id order, before anything else: two playbooks on two
            # administrators lock in the same order and never deadlock.
            _lock_admins(uow)
        uow.session.scalars(
            select(StaffAccount)
            .where(StaffAccount.id == account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
    return found


def _lock_admins(uow: UnitOfWork) -> list[int]:
    return list(
        uow.session.scalars(
            select(StaffAccount.id)
            .where(
                StaffAccount.post == Post.SYSTEM_ADMIN,
                StaffAccount.status == AccountStatus.ACTIVE,
            )
            .order_by(StaffAccount.id)
            .with_for_update(),
            execution_options=unscoped("the last administrator is counted utility-wide"),
        ).all()
    )


def refuse_last_admin(uow: UnitOfWork, target: StaffAccount) -> None:
    if target.post != Post.SYSTEM_ADMIN or target.status != AccountStatus.ACTIVE:
        return
    # Locked (and so current) since freeze_target: a concurrent freeze has committed or waits.
    if [a for a in _lock_admins(uow) if a != target.id]:
        return
    raise LastAdministratorError(
        "不能冻结最后一名在岗系统管理员 / refusing to freeze the last active system administrator",
        field="account_id",
    )
