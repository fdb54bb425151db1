"""Login, sessions and bearer tokens (IAM-2, IAM-3).

Only the SHA-256 of a session token is stored; the token itself lives in an HttpOnly,
SameSite=strict cookie (console) or an ``Authorization: Bearer`` header (API).
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import (
    AccountLockedError,
    AuthenticationError,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security import passwords
from safegrid.security.actor import Actor, Channel
from safegrid.security.models import (
    AccountStatus,
    AuthSession,
    SessionStage,
    StaffAccount,
)
from safegrid.security.policy import Post, permissions_of
from safegrid.security.scope import SKIP_SCOPE, Scope

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=30)
BAD_CREDENTIALS = "用户名、密码或动态口令错误 / wrong username, password or one-time code"

SessionKind = Literal["console", "api"]


@dataclasses.dataclass(frozen=True)
class LoginResult:
    token: str
    stage: SessionStage
    session_id: int
    account_id: int


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(
    account: StaffAccount,
    org_path: str,
    channel: Channel,
    ip: str | None,
    session_id: int | None = None,
    reading_area_ids: frozenset[int] | None = None,
) -> Actor:
    return Actor(
        account_id=account.id,
        username=account.username,
        real_name=account.real_name,
        post=account.post,
        org_unit_id=account.org_unit_id,
        permissions=permissions_of(account.post),
        scope=Scope.subtree(org_path, reading_area_ids),
        channel=channel,
        ip=ip,
        session_id=session_id,
    )


def _find_account(uow: UnitOfWork, username: str) -> StaffAccount | None:
    return uow.session.scalars(
        select(StaffAccount).where(StaffAccount.username == username),
        execution_options={SKIP_SCOPE: True},
    ).first()


def _org_path(uow: UnitOfWork, org_unit_id: int) -> str:
    return uow.session.scalars(
        select(OrgUnit.path).where(OrgUnit.id == org_unit_id), execution_options={SKIP_SCOPE: True}
    ).one()


def _otp_step(account: StaffAccount, otp: str, now: datetime) -> int | None:
    """The accepted time step, or None. One step of drift either way; a used step is refused."""
    if not account.totp_secret or not otp.isdigit():
        return None
    totp = pyotp.TOTP(account.totp_secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), otp):
            if account.totp_last_step is not None and step <= account.totp_last_step:
                return None
            return step
    return None


def login(
    uow: UnitOfWork,
    username: str,
    password: str,
    otp: str,
    *,
    kind: SessionKind,
    ip: str | None,
    user_agent: str | None,
    session_hours: int,
    hasher: PasswordHasher,
) -> LoginResult:
    now = clock.now()
    with uow:
        account = _find_account(uow, username.strip())
        if account is None:
            passwords.verify(hasher, _DUMMY_HASH(hasher), password)  # same time as a real check
            uow.audit(
                "auth.login_failed",
                object_type="staff_account",
                note=f"unknown user {username[:64]!r}",
            )
            uow.commit()
            raise AuthenticationError(BAD_CREDENTIALS)
        uow.actor = actor_for(account, _org_path(uow, account.org_unit_id), uow.actor.channel, ip)
        if account.status != AccountStatus.ACTIVE:
            raise AuthenticationError(
                f"账号已{'冻结' if account.status == AccountStatus.FROZEN else '停用'} / account is {account.status.value}"
            )
        if account.locked_until is not None and account.locked_until > now:
            raise AccountLockedError(
                f"账号已锁定至 {account.locked_until:%H:%M} UTC / account locked until "
                f"{account.locked_until:%H:%M} UTC after {MAX_FAILURES} failed attempts"
            )
        password_ok = passwords.verify(hasher, account.password_hash, password)
        step = _otp_step(account, otp, now) if account.totp_enrolled else None
        if not password_ok or (account.totp_enrolled and step is None):
            _record_failure(uow, account, now)
            uow.commit()
            raise AuthenticationError(BAD_CREDENTIALS)
        account.failed_logins = 0
        account.locked_until = None
        account.last_login_at = now
        if step is not None:
            account.totp_last_step = step
        if account.must_change_password or passwords.is_expired(account.password_changed_at, now):
            stage = SessionStage.CHANGE_PASSWORD
        elif not account.totp_enrolled:
            stage = SessionStage.ENROL_TOTP
        else:
            stage = SessionStage.FULL
        token = secrets.token_urlsafe(32)
        session = AuthSession(
            account_id=account.id,
            token_hash=token_digest(token),
            kind=kind,
            stage=stage,
            ip=ip,
            user_agent=(user_agent or "")[:255],
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=session_hours),
        )
        uow.session.add(session)
        uow.session.flush()
        uow.audit(
            "auth.login",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            note=f"{kind} session {session.id}, stage {stage.value}",
        )
        uow.commit()
        return LoginResult(token, stage, session.id, account.id)


def _record_failure(uow: UnitOfWork, account: StaffAccount, now: datetime) -> None:
    # Incremented in SQL so concurrent failures are all counted.
    uow.session.execute(
        update(StaffAccount)
        .where(StaffAccount.id == account.id)
        .values(failed_logins=StaffAccount.failed_logins + 1),
        execution_options={SKIP_SCOPE: True},
    )
    uow.session.refresh(account)
    note = f"failure {account.failed_logins} of {MAX_FAILURES}"
    if account.failed_logins >= MAX_FAILURES:
        account.locked_until = now + LOCK_FOR
        account.failed_logins = 0
        note = f"locked for {int(LOCK_FOR.total_seconds() // 60)} minutes"
    uow.audit(
        "auth.login_failed",
        object_type="staff_account",
        object_id=account.id,
        org_unit_id=account.org_unit_id,
        note=note,
    )


_dummy: dict[int, str] = {}


def _DUMMY_HASH(hasher: PasswordHasher) -> str:
    key = id(hasher)
    if key not in _dummy:
        _dummy[key] = hasher.hash(secrets.token_hex(8))
    return _dummy[key]


def reading_areas_of(session: Session, account: StaffAccount) -> frozenset[int] | None:
    """A meter reader sees only the meters of his reading areas (IAM-1); others: no limit."""
    if account.post != Post.METER_READER:
        return None
    from safegrid.customers.models import ReadingArea

    return frozenset(
        session.scalars(
            select(ReadingArea.id).where(ReadingArea.reader_id == account.id),
            execution_options={SKIP_SCOPE: True},
        ).all()
    )


@dataclasses.dataclass(frozen=True)
class ResolvedSession:
    session_id: int
    stage: SessionStage
    account: StaffAccount
    org_path: str
    reading_area_ids: frozenset[int] | None
    locale: str | None


def resolve(uow: UnitOfWork, token: str, kind: SessionKind) -> ResolvedSession:
    """The live session behind a token, or AuthenticationError."""
    now = clock.now()
    with uow:
        row = uow.session.execute(
            select(AuthSession, StaffAccount, OrgUnit.path)
            .join(StaffAccount, StaffAccount.id == AuthSession.account_id)
            .join(OrgUnit, OrgUnit.id == StaffAccount.org_unit_id)
            .where(AuthSession.token_hash == token_digest(token), AuthSession.kind == kind),
            execution_options={SKIP_SCOPE: True},
        ).first()
        if row is None:
            raise AuthenticationError("未登录或会话无效 / not signed in")
        sess, account, path = row
        if sess.revoked_at is not None or sess.expires_at <= now:
            raise AuthenticationError("会话已过期或已注销 / session expired or revoked")
        if account.status != AccountStatus.ACTIVE:
            raise AuthenticationError("账号不可用 / account is not active")
        areas = reading_areas_of(uow.session, account)
        return ResolvedSession(sess.id, sess.stage, account, path, areas, sess.locale)


def logout(uow: UnitOfWork, session_id: int) -> None:
    with uow:
        sess = uow.session.get(AuthSession, session_id)
        if sess is None or sess.revoked_at is not None:
            return
        sess.revoked_at = clock.now()
        uow.audit(
            "auth.logout",
            object_type="auth_session",
            object_id=session_id,
            org_unit_id=uow.actor.org_unit_id,
        )
        uow.commit()
