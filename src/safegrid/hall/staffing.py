"""How many windows to open per hour (HALL beyond): Erlang C over the hall's own history.

For each hour of the day, the average arrivals per hour over the last four weeks and the
average service time give the offered load A = λ·AHT; the recommendation is the smallest
number of windows N > A for which the Erlang-C service level — the share of customers
called within ``within`` seconds — reaches ``target`` (80 % within 10 minutes). It is shown
next to the windows that actually served in that hour.

The formula is a dozen lines of arithmetic; the libraries that carry it (pyworkforce)
bring an optimisation stack along, so it lives here, checked against published tables in
``tests/unit/hall/test_staffing.py``.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from safegrid.hall.halls import hall_with_profile
from safegrid.hall.models import Ticket
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.uow import UnitOfWork

HISTORY_DAYS = 28
TARGET = 0.8
WITHIN_SECONDS = 600
MAX_WINDOWS = 200


def erlang_c(load: float, agents: int) -> float:
    """Probability that a customer has to wait, for offered load ``load`` (Erlangs)."""
    if agents <= load:
        return 1.0
    # Σ_{k<N} A^k/k! computed iteratively to stay finite for large N.
    term, total = 1.0, 1.0
    for k in range(1, agents):
        term *= load / k
        total += term
    last = term * load / agents * agents / (agents - load)
    return last / (total + last)


def service_level(
    arrivals_per_hour: float, aht_seconds: float, agents: int, within: float
) -> float:
    if arrivals_per_hour <= 0:
        return 1.0
    load = arrivals_per_hour * aht_seconds / 3600
    if agents <= load:
        return 0.0
    wait = erlang_c(load, agents)
    return 1 - wait * math.exp(-(agents - load) * within / aht_seconds)


def windows_needed(
    arrivals_per_hour: float,
    aht_seconds: float,
    target: float = TARGET,
    within: float = WITHIN_SECONDS,
) -> int:
    if arrivals_per_hour <= 0 or aht_seconds <= 0:
        return 0
    n = max(1, math.floor(arrivals_per_hour * aht_seconds / 3600) + 1)
    while n < MAX_WINDOWS and service_level(arrivals_per_hour, aht_seconds, n, within) < target:
        n += 1
    return n


@dataclasses.dataclass(frozen=True)
class HourPlan:
    hour: int  # Beijing time
    arrivals_per_hour: float
    aht_seconds: float
    recommended: int
    actual: float  # windows that called tickets in this hour, on average


def recommend(uow: UnitOfWork, hall_id: int) -> list[HourPlan]:
    """Per opening hour: arrivals, service time, recommended and actual windows."""
    hall_with_profile(uow, hall_id)
    today = clock.business_day()
    since = today - timedelta(days=HISTORY_DAYS)
    arrivals: dict[int, int] = defaultdict(int)
    service: dict[int, list[int]] = defaultdict(list)
    windows: dict[tuple[object, int], set[int]] = defaultdict(set)
    days: set[object] = set()
    rows = uow.session.execute(
        select(
            Ticket.business_day,
            Ticket.taken_at,
            Ticket.called_at,
            Ticket.window_id,
            Ticket.service_seconds,
        )
        .where(
            Ticket.org_unit_id == hall_id, Ticket.business_day >= since, Ticket.business_day < today
        )
        .execution_options(yield_per=5000)
    )
    for day, taken, called, window, seconds in rows:
        days.add(day)
        hour = taken.astimezone(BUSINESS_TZ).hour
        arrivals[hour] += 1
        if seconds:
            service[hour].append(seconds)
        if called is not None and window is not None:
            windows[(day, called.astimezone(BUSINESS_TZ).hour)].add(window)
    n_days = max(1, len(days))
    plans = []
    for hour in sorted(arrivals):
        rate = arrivals[hour] / n_days
        aht = sum(service[hour]) / len(service[hour]) if service[hour] else 0.0
        actual = sum(len(w) for (d, h), w in windows.items() if h == hour) / n_days
        plans.append(
            HourPlan(hour, round(rate, 1), round(aht), windows_needed(rate, aht), round(actual, 1))
        )
    return plans
