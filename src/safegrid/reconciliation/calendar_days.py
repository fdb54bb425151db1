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
