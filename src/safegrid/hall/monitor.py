"""The live monitor's state (HALL-3) and its rebuild from the event store (HALL-8).

``live`` reads today's state from the queue tables; ``rebuild`` folds the hall's stored
events into the same shape without touching them. They must agree — a test and
``safegrid hall rebuild-monitor`` compare them — which is what makes the store a faithful
record: the monitor could be rebuilt from it alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, time

from sqlalchemy import case, func, or_, select

from safegrid.hall import store
from safegrid.hall.catalogue import BusinessType, TicketStatus, WindowStatus
from safegrid.hall.halls import hall_with_profile
from safegrid.hall.models import HallEvent, HallProfile, HallWindow, Ticket
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.uow import UnitOfWork

RECENT_CALLS = 8


@dataclasses.dataclass
class WindowState:
    window_id: int
    number: int
    name: str
    status: str
    serving: str | None = None  # ticket number at the window
    served: int = 0  # completed today


@dataclasses.dataclass
class HallState:
    hall_id: int
    windows: dict[int, WindowState] = dataclasses.field(default_factory=dict)
    waiting: dict[str, int] = dataclasses.field(default_factory=dict)
    completed: int = 0
    no_show: int = 0
    ratings: int = 0
    rating_sum: int = 0
    recent_calls: list[tuple[str, int]] = dataclasses.field(default_factory=list)

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.ratings, 2) if self.ratings else None

    def comparable(self) -> dict[str, object]:
        return {
            "windows": {k: dataclasses.asdict(v) for k, v in sorted(self.windows.items())},
            "waiting": {k: v for k, v in sorted(self.waiting.items()) if v},
            "completed": self.completed,
            "no_show": self.no_show,
            "ratings": self.ratings,
            "rating_sum": self.rating_sum,
            "recent_calls": self.recent_calls,
        }


def day_start(now: datetime | None = None) -> datetime:
    day = clock.business_day(now)
    return datetime.combine(day, time(0), BUSINESS_TZ)


def live(uow: UnitOfWork, hall_id: int) -> HallState:
    """Today's state from the tables."""
    s = uow.session
    hall_with_profile(uow, hall_id)
    day = clock.business_day()
    state = HallState(hall_id)
    for w in s.scalars(select(HallWindow).where(HallWindow.org_unit_id == hall_id)):
        state.windows[w.id] = WindowState(w.id, w.number, w.name, w.status.value)
    today = (Ticket.org_unit_id == hall_id, Ticket.business_day == day)
    for kind, status, window_id, n, rated, score in s.execute(
        select(
            Ticket.business_type,
            Ticket.status,
            Ticket.window_id,
            func.count(),
            func.count(Ticket.rating),
            func.coalesce(func.sum(Ticket.rating), 0),
        )
        .where(*today)
        .group_by(Ticket.business_type, Ticket.status, Ticket.window_id)
    ):
        if status == TicketStatus.WAITING:
            state.waiting[kind.value] = state.waiting.get(kind.value, 0) + n
        elif status == TicketStatus.COMPLETED:
            state.completed += n
            if window_id in state.windows:
                state.windows[window_id].served += n
        elif status == TicketStatus.NO_SHOW:
            state.no_show += n
        state.ratings += rated
        state.rating_sum += int(score or 0)
    for number, window_id in s.execute(
        select(Ticket.number, Ticket.window_id).where(*today, Ticket.status == TicketStatus.CALLED)
    ):
        if window_id in state.windows:
            state.windows[window_id].serving = number
    state.recent_calls = _recent_calls(uow, hall_id)
    return state


def _recent_calls(uow: UnitOfWork, hall_id: int) -> list[tuple[str, int]]:
    """The last tickets called (or called again) and their windows, newest first — the
    display board's lines; read from the store, where the calls are facts in order."""
    rows = uow.session.execute(
        select(HallEvent.payload)
        .where(
            HallEvent.org_unit_id == hall_id,
            HallEvent.kind.in_((store.TICKET_CALLED, store.TICKET_RECALLED)),
            HallEvent.occurred_at >= day_start(),
        )
        .order_by(HallEvent.id.desc())
        .limit(RECENT_CALLS)
    ).all()
    return [(str(p["number"]), int(p["window"])) for (p,) in rows]


def events_of_day(uow: UnitOfWork, hall_id: int) -> Iterable[HallEvent]:
    """Window configuration of all time, ticket facts of today, in order."""
    return uow.session.scalars(
        select(HallEvent)
        .where(
            HallEvent.org_unit_id == hall_id,
            or_(HallEvent.kind == store.WINDOW_CHANGED, HallEvent.occurred_at >= day_start()),
        )
        .order_by(HallEvent.id)
        .execution_options(yield_per=2000)
    )


def rebuild(uow: UnitOfWork, hall_id: int) -> HallState:
    """Today's state folded from the event store alone."""
    hall_with_profile(uow, hall_id)
    state = HallState(hall_id)
    # ticket id → (status, business type or target, window id, rated)
    tickets: dict[int, list[object]] = {}
    calls: list[tuple[str, int]] = []
    for e in events_of_day(uow, hall_id):
        p = e.payload
        if e.kind == store.WINDOW_CHANGED and e.window_id is not None:
            w = state.windows.get(e.window_id)
            if w is None:
                w = state.windows[e.window_id] = WindowState(e.window_id, 0, "", "")
            w.number, w.name, w.status = int(p["number"]), str(p["name"]), str(p["status"])
            continue
        if e.ticket_id is None:
            continue
        t = tickets.setdefault(
            e.ticket_id, [None, str(p.get("business_type")), None, str(p.get("number"))]
        )
        if e.kind == store.TICKET_TAKEN:
            t[0] = TicketStatus.WAITING
        elif e.kind in (store.TICKET_CALLED, store.TICKET_RECALLED):
            t[0], t[2] = TicketStatus.CALLED, e.window_id
            calls.append((str(p["number"]), int(p["window"])))
        elif e.kind == store.TICKET_TRANSFERRED:
            t[0], t[2], t[1] = TicketStatus.WAITING, None, str(p["business_type"])
        elif e.kind == store.TICKET_COMPLETED:
            t[0] = TicketStatus.COMPLETED
        elif e.kind == store.TICKET_NO_SHOW:
            t[0] = TicketStatus.NO_SHOW
        elif e.kind == store.TICKET_EXPIRED:
            t[0] = TicketStatus.EXPIRED
        elif e.kind == store.TICKET_RATED:
            state.ratings += 1
            state.rating_sum += int(p["score"])
    for status, kind, window_id, number in tickets.values():
        if status == TicketStatus.WAITING:
            key = BusinessType(str(kind)).value
            state.waiting[key] = state.waiting.get(key, 0) + 1
        elif status == TicketStatus.CALLED and isinstance(window_id, int):
            if window_id in state.windows:
                state.windows[window_id].serving = str(number)
        elif status == TicketStatus.COMPLETED:
            state.completed += 1
            if isinstance(window_id, int) and window_id in state.windows:
                state.windows[window_id].served += 1
        elif status == TicketStatus.NO_SHOW:
            state.no_show += 1
    state.recent_calls = calls[::-1][:RECENT_CALLS]
    return state


@dataclasses.dataclass(frozen=True)
class HallSummary:
    hall_id: int
    name: str
    path: str
    windows_open: int
    waiting: int
    completed: int
    average_rating: float | None


def region(uow: UnitOfWork) -> list[HallSummary]:
    """Every hall the caller sees (HALL-9: a province all, a city its own, a hall itself)
    with today's figures, in tree order."""
    s = uow.session
    day = clock.business_day()
    tickets = dict(
        (
            hall_id,
            (int(waiting or 0), int(done or 0), None if avg is None else round(float(avg), 2)),
        )
        for hall_id, waiting, done, avg in s.execute(
            select(
                Ticket.org_unit_id,
                func.sum(case((Ticket.status == TicketStatus.WAITING, 1), else_=0)),
                func.sum(case((Ticket.status == TicketStatus.COMPLETED, 1), else_=0)),
                func.avg(Ticket.rating),
            )
            .where(Ticket.business_day == day)
            .group_by(Ticket.org_unit_id)
        )
    )
    windows = dict(
        s.execute(
            select(HallWindow.org_unit_id, func.count())
            .where(HallWindow.status == WindowStatus.OPEN)
            .group_by(HallWindow.org_unit_id)
        ).all()
    )
    out = []
    for unit in s.scalars(
        select(OrgUnit)
        .join(HallProfile, HallProfile.org_unit_id == OrgUnit.id)
        .order_by(OrgUnit.path)
    ):
        waiting, done, avg = tickets.get(unit.id, (0, 0, None))
        out.append(
            HallSummary(
                unit.id, unit.name, unit.path, int(windows.get(unit.id, 0)), waiting, done, avg
            )
        )
    return out
