"""How often the portal sends a sign-in code (HALL-6): at most one per number every 60 s
and five per number an hour, and at most thirty an hour to one client address (one
address asking codes for many numbers is SMS pumping, paid by the utility).

Enforced by the database, not by reading first: each limited key has a row in the sign-in
throttle table (``login_throttles``, sources ``sms_sent`` and ``code_ip``), taken with an
upsert that row-locks it until the transaction ends, then changed by one conditional
UPDATE that succeeds only inside the limits. Two requests for one number at the same
moment queue on that row; the second sees the first's send and is refused. A refused
request changes nothing (its transaction rolls back) and is logged, not audited: a flood
of refusals must not flood the audit chain. For these sources ``failures`` counts the
codes sent in the window and ``blocked_until`` is the earliest moment of the next one.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from datetime import datetime, timedelta
from typing import Final, cast

from sqlalchemy import Table, and_, case, or_, select, update

from safegrid.platform.errors import SafeGridError
from safegrid.platform.sql_dialect import upsert
from safegrid.platform.uow import UnitOfWork
from safegrid.security.lockout import LoginThrottle

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Limit:
    source: str  # login_throttles.source (8 characters at most)
    per_window: int
    window: timedelta
    gap: timedelta  # between two codes of one key


BY_NUMBER: Final = Limit("sms_sent", 5, timedelta(hours=1), timedelta(seconds=60))
BY_ADDRESS: Final = Limit("code_ip", 30, timedelta(hours=1), timedelta(0))


class CodeThrottledError(SafeGridError):
    status_code = 429

    def __init__(self, wait_seconds: int) -> None:
        self.retry_after = max(wait_seconds, 1)
        super().__init__(
            f"获取验证码过于频繁，请 {self.retry_after} 秒后再试 / too many sign-in codes "
            f"requested: ask again in {self.retry_after} s",
            field="mobile",
        )
        self.headers = {"Retry-After": str(self.retry_after)}


def admit(
    uow: UnitOfWork, number_key: str, masked: str, address: str | None, now: datetime
) -> None:
    """Counts one code against the number (its blind index; ``masked`` names it in the log)
    and the address, in the caller's transaction; raises :class:`CodeThrottledError`
    (naming the wait) when either is over its limit."""
    keys = [(BY_NUMBER, number_key, masked)]
    if address:
        keys.append((BY_ADDRESS, address, address))
    # One order for every caller: two requests never wait for each other's second row.
    for limit, key, label in sorted(keys, key=lambda k: k[0].source):
        _count(uow, limit, key[:128], label, now)


def _count(uow: UnitOfWork, limit: Limit, key: str, label: str, now: datetime) -> None:
    t = cast(Table, LoginThrottle.__table__)
    s = uow.session
    # Create or lock the row (a no-op update on conflict still takes the row lock).
    s.execute(
        upsert(t, s.get_bind().dialect.name, key=["source", "key"], set_={"key": t.c.key}).values(
            source=limit.source, key=key, failures=0, window_started_at=now
        )
    )
    stale = t.c.window_started_at <= now - limit.window
    sent = s.execute(
        update(t)
        .where(
            t.c.source == limit.source,
            t.c.key == key,
            or_(t.c.blocked_until.is_(None), t.c.blocked_until <= now),
            or_(stale, t.c.failures < limit.per_window),
        )
        .values(
            failures=case((stale, 1), else_=t.c.failures + 1),
            window_started_at=case((stale, now), else_=t.c.window_started_at),
            blocked_until=now + limit.gap if limit.gap else None,
        )
        .returning(t.c.failures)
    ).first()
    if sent is not None:
        return
    row = s.execute(
        select(t.c.failures, t.c.window_started_at, t.c.blocked_until).where(
            and_(t.c.source == limit.source, t.c.key == key)
        )
    ).one()
    ready = max(
        row.blocked_until or now,
        row.window_started_at + limit.window if row.failures >= limit.per_window else now,
    )
    wait = math.ceil((ready - now).total_seconds())
    log.warning(
        "portal sign-in code refused for %s (%s limit): %d sent in the window, next in %d s",
        label,
        limit.source,
        row.failures,
        wait,
    )
    raise CodeThrottledError(wait)
