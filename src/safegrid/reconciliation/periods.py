"""A reconciliation period is a calendar month in Beijing time (``YYYY-MM``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def bounds(period: str) -> tuple[date, date]:
    """First and last calendar day of the month."""
    m = PERIOD.match(period)
    if m is None:
        raise ValidationProblem(
            f"期间格式应为 YYYY-MM / period must be YYYY-MM: {period!r}", field="period"
        )
    first = date(int(m.group(1)), int(m.group(2)), 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def utc_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of the month as UTC instants (Beijing midnights)."""
    first, last = bounds(period)
    start = datetime.combine(first, time(0), tzinfo=clock.BUSINESS_TZ)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=clock.BUSINESS_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def previous(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}"
