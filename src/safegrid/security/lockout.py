"""Failed sign-ins: the account lock (IAM-3) and the throttles in front of it (ADR 0022).

Three counters, all in the database so every server process sees the same numbers:

- per account (``staff_accounts.failed_logins``): 5 failures lock it for 30 minutes and end
  its live sessions and tokens (IAM-3: a targeted account is still locked);
- per username as typed (``login_throttles``, source ``user``), also for names that do not
  exist, so the answers cannot tell them apart: from the 3rd failure the next attempt waits
  2 s, then 4 s, 8 s … (at most 5 minutes);
- per source address (source ``ip``): 10 failures in 15 minutes are free (a hall behind one
  NAT address mistypes too), then 1 s, 2 s, 4 s … (at most 15 minutes), and one alert to the
  managers per address and window — a password spray from one address is slowed long before
  it can lock the staff out, and someone is told.

A throttled attempt is answered 429 with ``Retry-After`` without looking at the password;
whether it is throttled depends only on what the caller has sent, never on the account.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final, Literal, Protocol

from sqlalchemy import String, case, select, update
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.platform import clock
from safegrid.platform.db import Base, UTCDateTime
from safegrid.platform.errors import SafeGridError
from safegrid.platform.sql_dialect import upsert
from safegrid.platform.uow import UnitOfWork
from safegrid.security.alarms import raise_alert
from safegrid.security.models import AuthSession, StaffAccount
from safegrid.security.scope import unscoped

MAX_FAILURES: Final = 5
LOCK_FOR: Final = timedelta(minutes=30)
WINDOW: Final = timedelta(minutes=15)
SPRAY_KIND: Final = "login_spray"

# "portal": failed look-ups on the public payment portal, per address (issue 12, defect 4).
# "sms": wrong customer-portal sign-in codes, per mobile number (its blind index, HALL-6).
Source = Literal["ip", "user", "portal", "sms"]


class Rule:
    def __init__(self, free: int, base_seconds: float, cap: timedelta) -> None:
        self.free, self.base_seconds, self.cap = free, base_seconds, cap

    def wait_after(self, failures: int) -> timedelta | None:
        """How long the next attempt waits after this many failures in the window."""
        if failures <= self.free:
            return None
        seconds = self.base_seconds * 2 ** min(failures - self.free - 1, 20)
        return min(timedelta(seconds=seconds), self.cap)


RULES: Final[dict[Source, Rule]] = {
    "user": Rule(free=2, base_seconds=2, cap=timedelta(minutes=5)),
    "ip": Rule(free=10, base_seconds=1, cap=timedelta(minutes=15)),
    "portal": Rule(free=5, base_seconds=2, cap=timedelta(minutes=15)),
    # The 5th wrong code locks the number for 15 minutes: guessing 6 digits is hopeless.
    "sms": Rule(free=MAX_FAILURES - 1, base_seconds=15 * 60, cap=timedelta(minutes=30)),
}
SPRAY_ALERT_AT: Final = RULES["ip"].free


class LoginThrottle(Base):
    """Failures of one source address or one typed username in the current window."""

    __tablename__ = "login_throttles"

    source: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class LoginThrottledError(SafeGridError):
    status_code = 429

    def __init__(self, until: datetime, now: datetime) -> None:
        self.retry_after = max(math.ceil((until - now).total_seconds()), 1)
        super().__init__(
            f"尝试次数过多，请 {self.retry_after} 秒后再试 / too many failed sign-in attempts: "
            f"try again in {self.retry_after} s"
        )
        self.headers = {"Retry-After": str(self.retry_after)}


def _keys(ip: str | None, username: str) -> list[tuple[Source, str]]:
    keys: list[tuple[Source, str]] = [("user", username.strip().lower()[:128])]
    if ip:
        keys.append(("ip", ip[:128]))
    return keys


def check(uow: UnitOfWork, ip: str | None, username: str, now: datetime) -> None:
    """Raises :class:`LoginThrottledError` while the address or the username must wait."""
    check_sources(uow, _keys(ip, username), now)


def check_sources(uow: UnitOfWork, keys: list[tuple[Source, str]], now: datetime) -> None:
    latest: datetime | None = None
    for source, key in keys:
        until = uow.session.scalar(
            select(LoginThrottle.blocked_until).where(
                LoginThrottle.source == source, LoginThrottle.key == key
            )
        )
        if until is not None and until > now and (latest is None or until > latest):
            latest = until
    if latest is not None:
        raise LoginThrottledError(latest, now)


def note_failure(uow: UnitOfWork, ip: str | None, username: str, now: datetime) -> None:
    """Counts one failure against the address and the username (atomically, in SQL, in the
    caller's transaction); alerts the managers the first time an address crosses the line."""
    for source, key in _keys(ip, username):
        count_failure(uow, source, key, now)


def count_failure(uow: UnitOfWork, source: Source, key: str, now: datetime) -> int:
    """One failure of ``key``: the window's count, and the wait its rule sets from here."""
    table = LoginThrottle.__table__
    stale = table.c.window_started_at < now - WINDOW
    failures, alerted_at = uow.session.execute(
        upsert(
            table,
            uow.session.get_bind().dialect.name,
            key=["source", "key"],
            set_={
                "failures": case((stale, 1), else_=table.c.failures + 1),
                "window_started_at": case((stale, now), else_=table.c.window_started_at),
            },
        )
        .values(source=source, key=key[:128], failures=1, window_started_at=now)
        .returning(table.c.failures, table.c.alerted_at)
    ).one()
    wait = RULES[source].wait_after(int(failures))
    values: dict[str, object] = {"blocked_until": None if wait is None else now + wait}
    spray = (
        source == "ip"
        and failures >= SPRAY_ALERT_AT
        and (alerted_at is None or alerted_at < now - WINDOW)
    )
    if spray:
        values["alerted_at"] = now
    uow.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.source == source, LoginThrottle.key == key[:128])
        .values(**values)
    )
    if spray:
        _alert_spray(uow, key, int(failures))
    return int(failures)


def _alert_spray(uow: UnitOfWork, ip: str, failures: int) -> None:
    uow.audit(
        "auth.login_spray",
        object_type="login_source",
        note=f"{failures} failed sign-ins from {ip} within {int(WINDOW.total_seconds() // 60)} "
        "minutes; further attempts from it are slowed",
    )
    raise_alert(
        uow.session,
        kind=SPRAY_KIND,
        object_type="login_source",
        object_id=ip,
        label=ip,
        before=None,
        after=f"{failures} failures",
        unit_id=None,
        actor=None,
        text=(
            f"【SafeGrid】来自 {ip} 的登录失败已达 {failures} 次（疑似密码喷洒）/ "
            f"{failures} failed sign-ins from {ip}: possible password spray"
        ),
    )


def forget_username(uow: UnitOfWork, username: str) -> None:
    """A successful sign-in clears the username's backoff (the address keeps its count)."""
    forget(uow, "user", _keys(None, username)[0][1])


def forget(uow: UnitOfWork, source: Source, key: str) -> None:
    uow.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.source == source, LoginThrottle.key == key[:128])
        .values(failures=0, blocked_until=None)
    )


def note_account_failure(uow: UnitOfWork, account: StaffAccount, now: datetime) -> str:
    """One failure of the account (IAM-3); the fifth locks it for 30 minutes and ends every
    live session and token it had. Returns the audit note."""
    # Incremented in SQL so concurrent failures are all counted.
    uow.session.execute(
        update(StaffAccount)
        .where(StaffAccount.id == account.id)
        .values(failed_logins=StaffAccount.failed_logins + 1),
        execution_options=unscoped("failed logins count before any scope exists"),
    )
    uow.session.refresh(account)
    if account.failed_logins < MAX_FAILURES:
        return f"failure {account.failed_logins} of {MAX_FAILURES}"
    account.locked_until = now + LOCK_FOR
    account.failed_logins = 0
    ended = uow.session.execute(
        update(AuthSession)
        .where(AuthSession.account_id == account.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now),
        execution_options={
            **unscoped("a locked account's sessions end wherever they were opened"),
            "synchronize_session": False,
        },
    )
    count = int(getattr(ended, "rowcount", 0) or 0)
    return f"locked for {int(LOCK_FOR.total_seconds() // 60)} minutes; {count} sessions ended"


class Lockable(Protocol):
    """An account as an entity or as the columns a request read (``authn.SessionAccount``)."""

    @property
    def locked_until(self) -> datetime | None: ...


def is_locked(account: Lockable, now: datetime | None = None) -> bool:
    return account.locked_until is not None and account.locked_until > (now or clock.now())
