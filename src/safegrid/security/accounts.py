"""Staff account use cases: create, change password, enrol TOTP, revoke sessions (IAM-1..3)."""

from __future__ import annotations

import dataclasses

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import select, update

from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security import lockout, passwords
from safegrid.security.masking import snapshot
from safegrid.security.models import (
    AccountStatus,
    AuthSession,
    PasswordHistory,
    SessionStage,
    StaffAccount,
)
from safegrid.security.policy import Perm, Post
from safegrid.security.scope import unscoped

TOTP_ISSUER = "SafeGrid"


# The Chinese half of the policy message names each missing rule too: a Chinese reader
# sees only that half (web.i18n.localize_message).
_PROBLEMS_ZH = {
    "an upper-case letter": "大写字母",
    "a lower-case letter": "小写字母",
    "a digit": "数字",
    "a special character": "特殊字符",
}


def _check_policy(password: str) -> None:
    problems = passwords.password_problems(password)
    if problems:
        zh = [_PROBLEMS_ZH.get(p, f"至少 {passwords.MIN_LENGTH} 个字符") for p in problems]
        raise ValidationProblem(
            "密码须包含：" + "、".join(zh) + " / password needs: " + ", ".join(problems),
            field="new_password",
        )


@dataclasses.dataclass(frozen=True)
class NewStaff:
    username: str
    real_name: str
    post: Post
    org_unit_id: int
    initial_password: str
    mobile: str | None = None  # where new-location login codes go (IAM-3)


def do_create_staff(uow: UnitOfWork, data: NewStaff, *, hasher: PasswordHasher) -> int:
    """An administrator opens an account in his own subtree; first login must change it.
    The account starts pending activation (IAM-8): see ``safegrid.governance.training``."""
    _check_policy(data.initial_password)
    now = clock.now()
    with uow:
        unit = uow.session.scalars(select(OrgUnit).where(OrgUnit.id == data.org_unit_id)).first()
        if unit is None:
            raise NotFoundError("组织单位不存在 / org unit not found", field="org_unit_id")
        taken = uow.session.scalars(
            select(StaffAccount.id).where(StaffAccount.username == data.username),
            execution_options=unscoped("usernames are unique platform-wide"),
        ).first()
        if taken is not None:
            raise ConflictError("用户名已存在 / username already taken", field="username")
        account = StaffAccount(
            username=data.username,
            real_name=data.real_name,
            post=data.post,
            org_unit_id=unit.id,
            password_hash=hasher.hash(data.initial_password),
            password_changed_at=now,
            must_change_password=True,
            created_at=now,
            totp_secret=pyotp.random_base32(),
            # Signing in waits for the security training and its activation (IAM-8).
            status=AccountStatus.PENDING_ACTIVATION,
            mobile=data.mobile,
        )
        uow.session.add(account)
        uow.session.flush()
        uow.audit(
            "staff.create",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=unit.id,
            after=snapshot(account),
        )
        uow.commit()
        return account.id


def do_set_mobile(uow: UnitOfWork, account_id: int, mobile: str) -> None:
    """The mobile that receives a new-location login's SMS code (IAM-3)."""
    with uow:
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.id == account_id)
        ).first()
        if account is None:
            raise NotFoundError("账号不存在 / account not found")
        before = snapshot(account)
        account.mobile = mobile
        uow.audit(
            "staff.mobile_changed",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            before={"mobile": before.get("mobile")},
            after={"mobile": snapshot(account).get("mobile")},
        )
        uow.commit()


def _own_account(uow: UnitOfWork) -> StaffAccount:
    account_id = uow.actor.account_id
    account = uow.session.scalars(
        select(StaffAccount).where(StaffAccount.id == account_id),
        execution_options=unscoped("one's own account, even above one's unit"),
    ).first()
    if account is None:
        raise NotFoundError("账号不存在 / account not found")
    return account


def do_change_password(
    uow: UnitOfWork, current: str, new: str, *, hasher: PasswordHasher
) -> SessionStage:
    """Returns the stage the caller's session moves to."""
    now = clock.now()
    with uow:
        account = _own_account(uow)
        # A stolen session guessing the password is a sign-in guessing it (issue 12): the
        # same throttles and the same 5-failure lock, which also ends this session.
        lockout.check(uow, uow.actor.ip, account.username, now)
        if not passwords.verify(hasher, account.password_hash, current):
            note = lockout.note_account_failure(uow, account, now)
            lockout.note_failure(uow, uow.actor.ip, account.username, now)
            uow.audit(
                "auth.password_change_failed",
                object_type="staff_account",
                object_id=account.id,
                org_unit_id=account.org_unit_id,
                note=f"wrong current password: {note}",
            )
            uow.commit()
            raise ValidationProblem(
                "当前密码不正确 / current password is wrong", field="current_password"
            )
        _check_policy(new)
        recent = uow.session.scalars(
            select(PasswordHistory.password_hash)
            .where(PasswordHistory.account_id == account.id)
            .order_by(PasswordHistory.id.desc())
            .limit(passwords.HISTORY_DEPTH - 1)
        ).all()
        if any(passwords.verify(hasher, h, new) for h in [account.password_hash, *recent]):
            raise ValidationProblem(
                f"不能重复使用最近 {passwords.HISTORY_DEPTH} 次的密码 / must differ from the "
                f"last {passwords.HISTORY_DEPTH} passwords",
                field="new_password",
            )
        uow.session.add(
            PasswordHistory(
                account_id=account.id, password_hash=account.password_hash, created_at=now
            )
        )
        account.password_hash = hasher.hash(new)
        account.password_changed_at = now
        account.must_change_password = False
        stage = SessionStage.FULL if account.totp_enrolled else SessionStage.ENROL_TOTP
        # Every other session of this account ends; the current one moves on.
        uow.session.execute(
            update(AuthSession)
            .where(
                AuthSession.account_id == account.id,
                AuthSession.revoked_at.is_(None),
                AuthSession.id != uow.actor.session_id,
            )
            .values(revoked_at=now)
        )
        if uow.actor.session_id is not None:
            uow.session.execute(
                update(AuthSession)
                .where(AuthSession.id == uow.actor.session_id)
                .values(stage=stage)
            )
        uow.audit(
            "auth.password_changed",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
        )
        uow.commit()
        return stage


def totp_uri(uow: UnitOfWork) -> tuple[str, str]:
    """Secret and otpauth:// URI for the caller to add to an authenticator app."""
    with uow:
        account = _own_account(uow)
        if account.totp_enrolled or not account.totp_secret:
            raise ConflictError("动态口令已绑定 / one-time codes are already enrolled")
        secret = account.totp_secret
        return secret, pyotp.TOTP(secret).provisioning_uri(
            name=account.username, issuer_name=TOTP_ISSUER
        )


def do_enrol_totp(uow: UnitOfWork, code: str) -> None:
    now = clock.now()
    with uow:
        account = _own_account(uow)
        if account.totp_enrolled or not account.totp_secret:
            raise ConflictError("动态口令已绑定 / one-time codes are already enrolled")
        totp = pyotp.TOTP(account.totp_secret)
        if not code.isdigit() or not totp.verify(code, for_time=now, valid_window=1):
            raise ValidationProblem("动态口令不正确 / the code is wrong", field="code")
        account.totp_enrolled = True
        account.totp_last_step = int(now.timestamp()) // totp.interval
        if uow.actor.session_id is not None:
            uow.session.execute(
                update(AuthSession)
                .where(AuthSession.id == uow.actor.session_id)
                .values(stage=SessionStage.FULL)
            )
        uow.audit(
            "auth.totp_enrolled",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
        )
        uow.commit()


def do_revoke_session(uow: UnitOfWork, session_id: int) -> None:
    """Own sessions always; others' only with staff.manage inside one's scope (scoped join)."""
    now = clock.now()
    with uow:
        row = uow.session.execute(
            select(AuthSession, StaffAccount)
            .join(StaffAccount, StaffAccount.id == AuthSession.account_id)
            .where(AuthSession.id == session_id)
        ).first()
        if row is None:
            raise NotFoundError("会话不存在 / session not found")
        sess, account = row
        if account.id != uow.actor.account_id and not uow.actor.can(Perm.STAFF_MANAGE):
            raise NotFoundError("会话不存在 / session not found")
        if sess.revoked_at is None:
            sess.revoked_at = now
            uow.audit(
                "auth.session_revoked",
                object_type="auth_session",
                object_id=sess.id,
                org_unit_id=account.org_unit_id,
            )
            uow.commit()


def sessions_of(uow: UnitOfWork, account_id: int) -> list[AuthSession]:
    with uow:
        return list(
            uow.session.scalars(
                select(AuthSession)
                .join(StaffAccount, StaffAccount.id == AuthSession.account_id)
                .where(
                    AuthSession.account_id == account_id,
                    AuthSession.revoked_at.is_(None),
                    AuthSession.expires_at > clock.now(),
                )
                .order_by(AuthSession.id.desc())
            ).all()
        )


def do_set_session_locale(uow: UnitOfWork, locale: str) -> None:
    """The session's display language. Only a preference, but a change to a stored row all
    the same: the unit of work sees the UPDATE and it is audited like every other change."""
    with uow:
        uow.session.execute(
            update(AuthSession).where(AuthSession.id == uow.actor.session_id).values(locale=locale),
            execution_options=unscoped("one's own sign-in session row"),
        )
        uow.audit(
            "session.locale",
            object_type="auth_session",
            object_id=uow.actor.session_id,
            org_unit_id=uow.actor.org_unit_id,
            after={"locale": locale},
        )
        uow.commit()


def list_staff(
    uow: UnitOfWork, paging_offset: int, limit: int, q: str | None = None
) -> tuple[list[StaffAccount], int]:
    """Accounts in scope; ``q`` matches a fragment of the username or the real name."""
    from sqlalchemy import func, or_

    stmt = select(StaffAccount)
    if q and q.strip():
        stmt = stmt.where(
            or_(
                StaffAccount.username.contains(q.strip(), autoescape=True),
                StaffAccount.real_name.contains(q.strip(), autoescape=True),
            )
        )
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        items = uow.session.scalars(
            stmt.order_by(StaffAccount.id).offset(paging_offset).limit(limit)
        ).all()
        return list(items), total


def get_staff(uow: UnitOfWork, account_id: int) -> StaffAccount:
    with uow:
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.id == account_id)
        ).first()
        if account is None:
            raise NotFoundError("账号不存在 / account not found")
        return account
