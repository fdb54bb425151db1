"""What an administrator does to a colleague's account from the console (IAM-3, IAM-5,
issue 13 item 8): reset a forgotten password, unlock an account locked by failed sign-ins,
freeze an account. Opening an account is ``security.accounts.do_create_staff`` and its
activation the training gate (``governance.training``); these are the other three.

Each is one unit of work with its audit entry. An administrator acts on others only (his
own password is changed on his own page), inside his subtree (scoped), and a freeze uses
the playbooks' own target lock and rule (one rule for who may be frozen, whoever
freezes): never the last active system administrator, the account's sessions
end with it (``governance.departures.freeze_accounts``).
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select

from safegrid.governance.departures import freeze_accounts, revoke_sessions
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security import lockout, passwords
from safegrid.security.freezing import freeze_target, refuse_last_admin
from safegrid.security.models import AccountStatus, StaffAccount

_ALPHABET = string.ascii_letters + string.digits
_SPECIAL = "@#%+=!?"


def _other(uow: UnitOfWork, account_id: int, *, lock: bool = True) -> StaffAccount:
    stmt = select(StaffAccount).where(StaffAccount.id == account_id)
    account = uow.session.scalars(stmt.with_for_update() if lock else stmt).first()
    if account is None:  # scoped: outside the caller's subtree reads as not found
        raise NotFoundError("账号不存在 / account not found", field="account_id")
    if account.id == uow.actor.account_id:
        raise ConflictError(
            "不能对本人账号执行此操作 / not on your own account (change your password on "
            "your own page)",
            field="account_id",
        )
    return account


def temporary_password() -> str:
    """A one-time password that meets the policy; the holder must change it at sign-in."""
    while True:
        word = "".join(secrets.choice(_ALPHABET) for _ in range(12)) + secrets.choice(_SPECIAL)
        if not passwords.password_problems(word):
            return word


def do_reset_password(uow: UnitOfWork, account_id: int, *, hasher: PasswordHasher) -> str:
    """Sets a temporary password (returned once, never stored or logged in clear), forces a
    change at the next sign-in and ends the account's sessions."""
    now = clock.now()
    word = temporary_password()
    with uow:
        account = _other(uow, account_id)
        if account.status in (AccountStatus.FROZEN, AccountStatus.DISABLED):
            raise ConflictError(
                f"账号已{'冻结' if account.status == AccountStatus.FROZEN else '停用'}，"
                f"不能重置密码 / the account is {account.status.value}",
                field="account_id",
            )
        account.password_hash = hasher.hash(word)
        account.password_changed_at = now
        account.must_change_password = True
        ended = revoke_sessions(uow, [account.id], now)
        uow.audit(
            "staff.password_reset",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            after={"must_change_password": True, "sessions_ended": ended},
        )
        uow.commit()
    return word


def do_unlock_staff(uow: UnitOfWork, account_id: int) -> None:
    """Ends a lock from failed sign-ins (IAM-3) and the username's back-off."""
    with uow:
        account = _other(uow, account_id)
        before = {"locked_until": _iso(account.locked_until), "failed": account.failed_logins}
        account.locked_until = None
        account.failed_logins = 0
        lockout.forget_username(uow, account.username)
        uow.audit(
            "staff.unlocked",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            before=before,
            after={"locked_until": None, "failed": 0},
        )
        uow.commit()


def do_freeze_staff(uow: UnitOfWork, account_id: int, reason: str) -> int:
    """Freezes the account and ends its sessions; returns how many ended. Undone only by
    an unfreeze a second person approves (secops.unfreeze)."""
    reason = reason.strip()
    if len(reason) < 2:
        raise ValidationProblem("请填写冻结原因 / give the reason for the freeze", field="reason")
    now = clock.now()
    with uow:
        _other(uow, account_id, lock=False)
        # Administrators first, in id order, then the target: the playbooks' lock order.
        target = freeze_target(uow, account_id, lock=True)
        if target.status != AccountStatus.ACTIVE:
            raise ConflictError(
                f"账号不是在用状态 / the account is {target.status.value}", field="account_id"
            )
        refuse_last_admin(uow, target)
        ended = freeze_accounts(uow, [target.id], now)
        uow.audit(
            "staff.frozen",
            object_type="staff_account",
            object_id=target.id,
            org_unit_id=target.org_unit_id,
            before={"status": AccountStatus.ACTIVE.value},
            after={"status": AccountStatus.FROZEN.value, "sessions_ended": ended},
            note=reason[:200],
        )
        uow.commit()
    return ended


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
