"""Time source. Storage is UTC; business days are Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests can move by hand (lockouts, expiry, retention)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


_clock: Clock = SystemClock()


def now() -> datetime:
    return _clock.now()


def current() -> Clock:
    """The clock in force (a caller that sets its own restores this one afterwards)."""
    return _clock


def set_clock(clock: Clock) -> None:
    global _clock
    _clock = clock


def business_day(at: datetime | None = None) -> date:
    return (at or now()).astimezone(BUSINESS_TZ).date()
