"""Billing periods are months written 'YYYY-MM' (the ``ReadingPeriod`` key); text order is
time order, so period ranges are plain string comparisons in SQL."""

from __future__ import annotations

import calendar
import re
from datetime import date

from safegrid.platform.errors import ValidationProblem
from safegrid.tariffs.terms import ThresholdPeriod

_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def parse_period(value: str, field: str = "period") -> str:
    value = value.strip()
    if not _PERIOD.fullmatch(value) or value < "2000-01":
        raise ValidationProblem(
            f"账期格式应为 YYYY-MM：{value!r} / period must look like 2026-10, got {value!r}",
            field=field,
        )
    return value


def first_day(period: str) -> date:
    return date(int(period[:4]), int(period[5:7]), 1)


def last_day(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, calendar.monthrange(year, month)[1])


def of_day(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift(period: str, months: int) -> str:
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def tier_period_start(
    period: str, threshold_period: ThresholdPeriod | None, start_month: int = 1
) -> str:
    """First period of the tier year (or month) ``period`` belongs to: earlier bills from
    there on count towards the tier thresholds."""
    if threshold_period != ThresholdPeriod.ANNUAL:
        return period
    year, month = int(period[:4]), int(period[5:7])
    start_year = year if month >= start_month else year - 1
    return f"{start_year:04d}-{start_month:02d}"
