"""Known login locations and the SMS second verification of a new one (IAM-3).

A location is the client's network: the IPv4 /24 or IPv6 /64 around its address (an
address changes within an office or a mobile carrier's pool; the network rarely does).
An account's first-ever successful login establishes its first location (trust on first
use: it has just proved password and TOTP, and there is nothing to compare with). Every
later login from a network never seen for that account, after password and TOTP succeed,
gets a challenge: a 6-digit code sent by SMS through the notification channel to the
staff member's mobile, valid 5 minutes, 5 attempts. Only a correct code remembers the
location and issues the session.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from safegrid.governance.models import KnownLocation, LoginChallenge
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.platform.errors import AuthenticationError
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import mask
from safegrid.security.models import StaffAccount

CODE_VALID_FOR = timedelta(minutes=5)
MAX_CODE_ATTEMPTS = 5
NO_MOBILE = (
    "新地点登录需短信验证，但账号未登记手机号，请联系系统管理员 / a login from a new location "
    "needs an SMS code, but no mobile number is on record: ask a system administrator"
)


class SecondVerificationRequired(AuthenticationError):
    """Password and TOTP were right, but the location is new: send the SMS code with this
    challenge id to finish signing in. Not a failure: no failed-login count."""

    def __init__(self, challenge_id: str, sent_to: str, expires_in: int) -> None:
        super().__init__(
            "新地点登录，需短信验证码二次验证 / second verification required: login from a new "
            f"location, enter the SMS code sent to {sent_to}"
        )
        self.challenge_id = challenge_id
        self.sent_to = sent_to
        self.expires_in = expires_in


def network_of(ip: str | None) -> str:
    """The location key of a client address; non-IP peers (test clients, proxies without a
    forwarded address) are keyed by their literal name so they still compare exactly."""
    if not ip:
        return "host:unknown"
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return f"host:{ip.strip()[:58]}"
    prefix = 24 if addr.version == 4 else 64
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


_FAMILIES = (
    ("Edg/", "Edge"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chrome"),
    ("Firefox/", "Firefox"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx", "httpx"),
    ("python-requests", "requests"),
)


def user_agent_family(user_agent: str | None) -> str:
    """Informational only (shown next to a location); it is not part of the location key."""
    ua = user_agent or ""
    for marker, family in _FAMILIES:
        if marker in ua:
            return family
    return (ua.split("/", 1)[0] or "unknown")[:32]


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def check_location(
    uow: UnitOfWork, account: StaffAccount, ip: str | None, user_agent: str | None, now: datetime
) -> bool:
    """True when the login may proceed here: a known network (its last-seen time is
    refreshed) or the account's very first login (the network is remembered)."""
    network = network_of(ip)
    rows = uow.session.scalars(
        select(KnownLocation).where(KnownLocation.account_id == account.id)
    ).all()
    for row in rows:
        if row.network == network:
            row.last_seen_at = now
            return True
    if rows:
        return False
    remember(uow, account.id, network, user_agent, now)
    return True


def remember(
    uow: UnitOfWork, account_id: int, network: str, user_agent: str | None, now: datetime
) -> None:
    uow.session.add(
        KnownLocation(
            account_id=account_id,
            network=network,
            user_agent_family=user_agent_family(user_agent),
            first_seen_at=now,
            last_seen_at=now,
        )
    )


@dataclasses.dataclass(frozen=True)
class ChallengeRequest:
    kind: str
    ip: str | None
    user_agent: str | None
    session_hours: int


def open_challenge(
    uow: UnitOfWork, account: StaffAccount, req: ChallengeRequest, now: datetime
) -> SecondVerificationRequired:
    """Stores the challenge and queues the SMS in the caller's transaction; the caller
    audits, commits and raises the returned error."""
    if not account.mobile:
        raise AuthenticationError(NO_MOBILE)
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(1_000_000):06d}"
    network = network_of(req.ip)
    challenge = LoginChallenge(
        token_hash=_digest(token),
        code_hash=_digest(token, code),
        account_id=account.id,
        kind=req.kind,
        network=network,
        ip=req.ip,
        user_agent=(req.user_agent or "")[:255],
        session_hours=req.session_hours,
        attempts=0,
        created_at=now,
        expires_at=now + CODE_VALID_FOR,
    )
    uow.session.add(challenge)
    minutes = int(CODE_VALID_FOR.total_seconds() // 60)
    OutboxNotifier(uow).send(
        Message(
            channel="sms",
            recipient=account.mobile,
            topic="auth.login_code",
            body=(
                f"【SafeGrid】新地点({network})登录验证码 {code}，{minutes}分钟内有效。"
                f"非本人操作请立即联系系统管理员。 Login code {code} for a new location, "
                f"valid {minutes} minutes."
            ),
            org_unit_id=account.org_unit_id,
            subject_type="staff_account",
            subject_id=str(account.id),
        )
    )
    return SecondVerificationRequired(
        token, mask("phone", account.mobile) or "", int(CODE_VALID_FOR.total_seconds())
    )


def find_challenge(uow: UnitOfWork, challenge_id: str) -> LoginChallenge | None:
    return uow.session.scalars(
        select(LoginChallenge).where(LoginChallenge.token_hash == _digest(challenge_id))
    ).first()


def code_matches(challenge: LoginChallenge, challenge_id: str, code: str) -> bool:
    return secrets.compare_digest(challenge.code_hash, _digest(challenge_id, code.strip()))
