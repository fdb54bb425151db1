"""Chinese working days (REC-3): statutory holidays and the adjusted working weekends come
from the maintained ``chinesecalendar`` package, never from a list of ours."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

from safegrid.platform.errors import ValidationProblem


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        try:
            working = chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise ValidationProblem(
                f"工作日历未覆盖 {day.year} 年，请升级 chinesecalendar / the working-day calendar "
                f"does not cover {day.year}; upgrade chinesecalendar",
                field="due_on",
            ) from None
        if working:
            left -= 1
    return day


def working_days_left(today: date, due: date) -> int:
    """Working days from ``today`` until ``due`` (0 on the due day, negative once late: the
    workbench shows how many working days a case is past its deadline)."""
    if due >= today:
        return _working_days_after(today, due)
    return -_working_days_after(due, today)


def _working_days_after(start: date, end: date) -> int:
    # chinese_calendar counts both ends; ``start`` itself is not counted, as in add_working_days.
    try:
        return (
            len(chinese_calendar.get_workdays(start + timedelta(days=1), end)) if end > start else 0
        )
    except NotImplementedError:
        raise ValidationProblem(
            f"工作日历未覆盖 {end.year} 年，请升级 chinesecalendar / the working-day calendar "
            f"does not cover {end.year}; upgrade chinesecalendar",
            field="due_on",
        ) from None
