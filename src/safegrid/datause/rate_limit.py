"""Per-user sliding-window limit of bulk access to sensitive data (DATA-5).

The window is counted over ``rate_events`` rows, so every server process and worker
shares one count. Count and new row are in the caller's transaction, after it has taken
the user's :class:`RateBucket` row for the action (one upsert that locks the row until
the transaction ends; SQLite serialises writers anyway): a second request of the same
user and action waits there and then counts the first one's row, so simultaneous requests
cannot both pass at the edge of the limit. Other users and actions do not wait.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from safegrid.datause.models import RateBucket, RateEvent
from safegrid.platform import clock
from safegrid.platform.errors import SafeGridError
from safegrid.platform.sql_dialect import upsert
from safegrid.platform.uow import UnitOfWork

WINDOW = timedelta(hours=1)


class RateLimitedError(SafeGridError):
    status_code = 429

    def __init__(self, action: str, limit: int, retry_at: datetime) -> None:
        self.retry_after = max(math.ceil((retry_at - clock.now()).total_seconds()), 1)
        local = retry_at.astimezone(clock.BUSINESS_TZ).strftime("%H:%M:%S")
        super().__init__(
            f"操作过于频繁：每小时最多 {limit} 次，请于 {local} 后重试 / too many {action} "
            f"requests: at most {limit} per hour; retry after {local} (Beijing time), "
            f"in {self.retry_after} s"
        )
        self.headers = {"Retry-After": str(self.retry_after)}


def take(uow: UnitOfWork, action: str, limit: int) -> None:
    """Count one ``action`` of the caller, or raise :class:`RateLimitedError`."""
    account_id = uow.actor.account_id
    if account_id is None:
        return  # the platform's own jobs are not rate-limited
    now = clock.now()
    since = now - WINDOW
    bucket = RateBucket.__table__
    uow.session.execute(
        upsert(
            bucket,
            uow.session.get_bind().dialect.name,
            key=["account_id", "action"],
            set_={"last_request_at": now},
        ).values(account_id=account_id, action=action, last_request_at=now)
    )
    count, oldest = uow.session.execute(
        select(func.count(), func.min(RateEvent.at)).where(
            RateEvent.account_id == account_id, RateEvent.action == action, RateEvent.at > since
        )
    ).one()
    if int(count) >= limit:
        raise RateLimitedError(action, limit, oldest + WINDOW)
    uow.session.add(RateEvent(account_id=account_id, action=action, at=now))


def purge(uow: UnitOfWork, before: datetime) -> int:
    result = uow.session.execute(delete(RateEvent).where(RateEvent.at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
