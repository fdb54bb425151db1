"""Working days on the Chinese calendar (statutory holidays and the weekend days worked in
exchange), from the maintained ``chinesecalendar`` package. A year it does not cover yet
(the State Council publishes each year's holidays in the preceding autumn) is counted
Monday to Friday, and the answer says so."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

OFFICIAL = "国务院节假日安排 / State Council holiday calendar"
PROVISIONAL = "周一至周五（节假日安排未发布）/ Mon-Fri (holidays not yet published)"


def _is_workday(day: date) -> tuple[bool, bool]:
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: date, days: int) -> tuple[date, str]:
    """The ``days``-th working day after ``start``, and the calendar it was counted on."""
    day, left, official = start, days, True
    while left > 0:
        day += timedelta(days=1)
        work, known = _is_workday(day)
        official = official and known
        if work:
            left -= 1
    return day, OFFICIAL if official else PROVISIONAL


def next_working_day(day: date) -> date:
    while not _is_workday(day)[0]:
        day += timedelta(days=1)
    return day
