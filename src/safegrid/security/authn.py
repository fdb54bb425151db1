"""Login, sessions and bearer tokens (IAM-2, IAM-3).

Only the SHA-256 of a session token is stored; the token itself lives in an HttpOnly,
SameSite=strict cookie (console) or an ``Authorization: Bearer`` header (API).
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal, NoReturn

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import (
    AccountLockedError,
    AuthenticationError,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security import lockout, login_locations, passwords
from safegrid.security.actor import Actor, Channel
from safegrid.security.models import (
    AccountStatus,
    AuthSession,
    SessionStage,
    StaffAccount,
)
from safegrid.security.policy import Post, permissions_of
from safegrid.security.scope import ContractorView, Scope, unscoped

MAX_FAILURES = lockout.MAX_FAILURES
LOCK_FOR = lockout.LOCK_FOR
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
    account: StaffAccount | SessionAccount,
    org_path: str,
    channel: Channel,
    ip: str | None,
    session_id: int | None = None,
    reading_area_ids: frozenset[int] | None = None,
    contractor: ContractorView | None = None,
) -> Actor:
    return Actor(
        account_id=account.id,
        username=account.username,
        real_name=account.real_name,
        post=account.post,
        org_unit_id=account.org_unit_id,
        permissions=permissions_of(account.post),
        scope=Scope.subtree(org_path, reading_area_ids, contractor),
        channel=channel,
        ip=ip,
        session_id=session_id,
    )


def _find_account(uow: UnitOfWork, username: str) -> StaffAccount | None:
    return uow.session.scalars(
        select(StaffAccount).where(StaffAccount.username == username),
        execution_options=unscoped("login finds the account before it has a scope"),
    ).first()


def _org_path(uow: UnitOfWork, org_unit_id: int) -> str:
    return uow.session.scalars(
        select(OrgUnit.path).where(OrgUnit.id == org_unit_id),
        execution_options=unscoped("the unit path the account's scope is built from"),
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
        try:
            lockout.check(uow, ip, username, now)
        except lockout.LoginThrottledError:
            uow.audit(
                "auth.login_throttled",
                object_type="staff_account",
                note=f"{username[:64]!r} from {ip}: attempt refused unanswered while throttled",
            )
            uow.commit()
            raise
        account = _find_account(uow, username.strip())
        # Unknown, wrong and locked answer alike, after the same password hash work; the
        # audit log keeps the truth (issue 12).
        if account is None:
            passwords.verify(hasher, _DUMMY_HASH(hasher), password)  # same time as a real check
            _refuse(uow, None, ip, username, now, f"unknown user {username[:64]!r}")
        uow.actor = actor_for(account, _org_path(uow, account.org_unit_id), uow.actor.channel, ip)
        password_ok = passwords.verify(hasher, account.password_hash, password)
        if lockout.is_locked(account, now):
            _refuse(uow, account, ip, username, now, f"locked until {account.locked_until}", True)
        step = _otp_step(account, otp, now) if account.totp_enrolled else None
        if not password_ok or (account.totp_enrolled and step is None):
            note = lockout.note_account_failure(uow, account, now)
            _refuse(uow, account, ip, username, now, note)
        # Only someone holding the password and the code learns why the account is unusable.
        _refuse_unusable(account, now)
        lockout.forget_username(uow, username)
        account.failed_logins = 0
        account.locked_until = None
        if step is not None:
            account.totp_last_step = step
        if not login_locations.check_location(uow, account, ip, user_agent, now):
            # The code is spent either way: a second verification cannot reuse it (IAM-3).
            challenge = login_locations.open_challenge(
                uow,
                account,
                login_locations.ChallengeRequest(kind, ip, user_agent, session_hours),
                now,
            )
            uow.audit(
                "auth.new_location_challenge",
                object_type="staff_account",
                object_id=account.id,
                org_unit_id=account.org_unit_id,
                note=f"{kind} login from new network {login_locations.network_of(ip)}; "
                f"SMS code sent to {challenge.sent_to}",
            )
            uow.commit()
            raise challenge
        result = _issue_session(uow, account, kind, ip, user_agent, session_hours, now, "")
        uow.commit()
        return result


def _issue_session(
    uow: UnitOfWork,
    account: StaffAccount,
    kind: str,
    ip: str | None,
    user_agent: str | None,
    session_hours: int,
    now: datetime,
    how: str,
) -> LoginResult:
    account.last_login_at = now
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
        note=f"{kind} session {session.id}, stage {stage.value}{how}",
    )
    return LoginResult(token, stage, session.id, account.id)


CHALLENGE_GONE = (
    "验证已失效，请重新登录 / the verification has expired or is unknown: sign in again"
)


def verify_location(
    uow: UnitOfWork, challenge_id: str, code: str, *, ip: str | None
) -> LoginResult:
    """Second step of a new-location login (IAM-3): the SMS code of an open challenge.
    Right code: the location is remembered and the session issued. Five wrong codes or
    five minutes end the challenge; the user signs in again from the start."""
    now = clock.now()
    with uow:
        challenge = login_locations.find_challenge(uow, challenge_id)
        if (
            challenge is None
            or challenge.consumed_at is not None
            or challenge.attempts >= login_locations.MAX_CODE_ATTEMPTS
            or challenge.expires_at <= now
            # The code finishes the login it was sent for, from the same network only.
            or challenge.network != login_locations.network_of(ip)
        ):
            raise AuthenticationError(CHALLENGE_GONE)
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.id == challenge.account_id),
            execution_options=unscoped("the challenged account, before it has a scope"),
        ).one()
        uow.actor = actor_for(account, _org_path(uow, account.org_unit_id), uow.actor.channel, ip)
        _refuse_unusable(account, now)
        if not login_locations.code_matches(challenge, challenge_id, code):
            challenge.attempts += 1
            left = login_locations.MAX_CODE_ATTEMPTS - challenge.attempts
            if left <= 0:
                challenge.consumed_at = now
            uow.audit(
                "auth.new_location_code_failed",
                object_type="staff_account",
                object_id=account.id,
                org_unit_id=account.org_unit_id,
                note=f"attempt {challenge.attempts} of {login_locations.MAX_CODE_ATTEMPTS}",
            )
            uow.commit()
            if left <= 0:
                raise AuthenticationError(CHALLENGE_GONE)
            raise AuthenticationError(
                f"短信验证码错误，还可尝试 {left} 次 / wrong SMS code, {left} attempts left"
            )
        challenge.consumed_at = now
        login_locations.remember(uow, account.id, challenge.network, challenge.user_agent, now)
        result = _issue_session(
            uow,
            account,
            challenge.kind,
            ip,
            challenge.user_agent,
            challenge.session_hours,
            now,
            f", new network {challenge.network} verified by SMS",
        )
        uow.commit()
        return result


_STATUS_REFUSALS = {
    AccountStatus.FROZEN: "账号已冻结 / account is frozen",
    AccountStatus.DISABLED: "账号已停用 / account is disabled",
    AccountStatus.PENDING_ACTIVATION: (
        "账号尚未激活：须完成16学时安全培训、通过考试并签署安全承诺书 / account not activated "
        "yet: complete 16 class-hours of security training, pass the exam and sign the "
        "security commitment first"
    ),
}


def _refuse_unusable(account: StaffAccount, now: datetime) -> None:
    if account.status != AccountStatus.ACTIVE:
        raise AuthenticationError(
            _STATUS_REFUSALS.get(account.status, f"account is {account.status.value}")
        )
    if lockout.is_locked(account, now):
        raise AccountLockedError(BAD_CREDENTIALS)


def _refuse(
    uow: UnitOfWork,
    account: StaffAccount | None,
    ip: str | None,
    username: str,
    now: datetime,
    truth: str,
    locked: bool = False,
) -> NoReturn:
    """Counts the failure against the address and the typed name, audits what really
    happened, commits, and answers as for a wrong password."""
    lockout.note_failure(uow, ip, username, now)
    uow.audit(
        "auth.login_failed",
        object_type="staff_account",
        object_id=None if account is None else account.id,
        org_unit_id=None if account is None else account.org_unit_id,
        note=truth,
    )
    uow.commit()
    if locked:
        raise AccountLockedError(BAD_CREDENTIALS)
    raise AuthenticationError(BAD_CREDENTIALS)


_dummy: dict[int, str] = {}


def _DUMMY_HASH(hasher: PasswordHasher) -> str:
    key = id(hasher)
    if key not in _dummy:
        _dummy[key] = hasher.hash(secrets.token_hex(8))
    return _dummy[key]


def reading_areas_of(
    session: Session, account: StaffAccount | SessionAccount
) -> frozenset[int] | None:
    """A meter reader sees only the meters of his reading areas (IAM-1); others: no limit."""
    if account.post != Post.METER_READER:
        return None
    from safegrid.customers.models import ReadingArea

    return frozenset(
        session.scalars(
            select(ReadingArea.id).where(ReadingArea.reader_id == account.id),
            execution_options=unscoped("the reader's own areas, to build his scope"),
        ).all()
    )


def contractor_of(
    session: Session, account: StaffAccount | SessionAccount
) -> ContractorView | None:
    """A contractor sees only the meters of his assigned work orders until his end date (IAM-7)."""
    if account.post != Post.CONTRACTOR:
        return None
    from safegrid.fieldwork.access import contractor_view_of

    return contractor_view_of(session, account)


@dataclasses.dataclass(frozen=True)
class SessionAccount:
    """The account behind a live session: the columns a request needs, read with the
    session in one row (loading the two entities cost every request ~0.3 ms of CPU)."""

    id: int
    username: str
    real_name: str
    post: Post
    org_unit_id: int
    status: AccountStatus
    locked_until: datetime | None
    service_ends_on: date | None


_SESSION_ACCOUNT = tuple(getattr(StaffAccount, f.name) for f in dataclasses.fields(SessionAccount))


@dataclasses.dataclass(frozen=True)
class ResolvedSession:
    session_id: int
    stage: SessionStage
    account: SessionAccount
    org_path: str
    reading_area_ids: frozenset[int] | None
    locale: str | None
    contractor: ContractorView | None = None


# Built once: every authenticated request runs it.
# A fixed number of digests per statement (unused slots hold "", which no SHA-256 digest
# is): one statement text, compiled and prepared once, where an expanding IN list renders
# anew for every length.
_SLOTS = 8
_SESSIONS_OF_TOKENS = (
    select(
        AuthSession.id.label("session_id"),
        AuthSession.stage,
        AuthSession.locale,
        AuthSession.revoked_at,
        AuthSession.expires_at,
        AuthSession.token_hash,
        AuthSession.kind,
        OrgUnit.path,
        *_SESSION_ACCOUNT,
    )
    .join(StaffAccount, StaffAccount.id == AuthSession.account_id)
    .join(OrgUnit, OrgUnit.id == StaffAccount.org_unit_id)
    .where(AuthSession.token_hash.in_([bindparam(f"d{i}") for i in range(_SLOTS)]))
)
_BEFORE_SCOPE = unscoped("a token names its account before any scope")
_NO_TRANSACTION = {"isolation_level": "AUTOCOMMIT"}


def resolve(uow: UnitOfWork, token: str, kind: SessionKind) -> ResolvedSession:
    """The live session behind a token, or AuthenticationError (a batch of one)."""
    [answer] = resolve_many(uow, [(token, kind)])
    if isinstance(answer, AuthenticationError):
        raise answer
    return answer


def resolve_many(
    uow: UnitOfWork, tokens: Sequence[tuple[str, SessionKind]]
) -> list[ResolvedSession | AuthenticationError]:
    """The live session behind each token, or the AuthenticationError that refuses it, in
    one statement for all of them (requests arriving together, ``token_batches``)."""
    now = clock.now()
    digests = [token_digest(token) for token, _ in tokens]
    with uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            # No transaction for one statement: it sees one committed state either way,
            # and BEGIN and ROLLBACK were two of the lookup's four round trips on every
            # request. (SQLite has no round trips to save.)
            uow.session.connection(execution_options=_NO_TRANSACTION)
        wanted = sorted(set(digests))
        found = {}
        for at in range(0, len(wanted), _SLOTS):
            chunk = wanted[at : at + _SLOTS]
            slots = {f"d{i}": chunk[i] if i < len(chunk) else "" for i in range(_SLOTS)}
            for row in uow.session.execute(
                _SESSIONS_OF_TOKENS, slots, execution_options=_BEFORE_SCOPE
            ):
                found[(row.token_hash, row.kind)] = row
        return [
            _live(uow.session, found.get((digest, kind)), now)
            for digest, (_, kind) in zip(digests, tokens, strict=True)
        ]


def _live(session: Session, row: Any, now: datetime) -> ResolvedSession | AuthenticationError:
    if row is None:
        return AuthenticationError("未登录或会话无效 / not signed in")
    if row.revoked_at is not None or row.expires_at <= now:
        return AuthenticationError("会话已过期或已注销 / session expired or revoked")
    account = SessionAccount(*row[len(row) - len(_SESSION_ACCOUNT) :])
    if account.status != AccountStatus.ACTIVE or lockout.is_locked(account, now):
        # Frozen or locked: a session or token issued before it stops working too.
        return AuthenticationError("账号不可用 / account is not active")
    return ResolvedSession(
        row.session_id,
        row.stage,
        account,
        row.path,
        reading_areas_of(session, account),
        row.locale,
        contractor_of(session, account),
    )


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


def confirm_second_factor(account: StaffAccount, otp: str, now: datetime) -> bool:
    """Step-up at a signature (e.g. the monthly reconciliation report, REC-4): the account's
    current one-time code, never one already used (its step is then spent)."""
    step = _otp_step(account, otp, now) if account.totp_enrolled else None
    if step is None:
        return False
    account.totp_last_step = step
    return True
