"""Live updates for display boards (HALL-3): one broadcaster per server process.

A single asyncio task reads what the hall event store gained since its last look (one
indexed query every ``TICK`` seconds, plus one grouped count of the waiting tickets of the
halls that changed, whatever the number of boards) and fans each hall's news out to the
boards subscribed to that hall, in store order. Each board has its own bounded queue: a
board that falls ``QUEUE_SIZE`` frames behind has its queue emptied and gets one
``resync`` frame (it re-reads the board once), so a slow screen never blocks the others
and never grows the server's memory. A board waiting for news costs one idle connection
and one queue: no thread, no database connection, no query of its own.

Frames are server-sent events: ``call`` ``{"number", "window"}`` for each call or re-call,
``queue`` ``{business type: waiting}`` after every change of a hall, ``resync`` ``{}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, func, or_, select
from starlette.concurrency import run_in_threadpool

from safegrid.bootstrap import get_platform
from safegrid.hall import store
from safegrid.hall.catalogue import TicketStatus
from safegrid.hall.models import HallEvent, Ticket
from safegrid.platform import clock
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped

TICK: Final = 0.5
HEARTBEAT: Final = 15.0  # seconds of silence before a comment line keeps proxies open
QUEUE_SIZE: Final = 64
# An id below the newest one read but not yet visible belongs to a transaction that took
# it and has not committed: looked for again this long, then given up (a rollback).
GAP_WAIT: Final = 5.0
GAP_TRACK: Final = 2000
SUBSCRIBED: Final = ": subscribed\n\n"
KEEPALIVE: Final = ": keep-alive\n\n"
RESYNC: Final = "event: resync\ndata: {}\n\n"
CALLS = (store.TICKET_CALLED, store.TICKET_RECALLED)
_READER = Actor.system("display-board", "web")
log = logging.getLogger(__name__)


def frame(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class Subscription:
    """One board's place in the fan-out: a bounded queue of frames."""

    def __init__(self, hall_id: int, size: int = QUEUE_SIZE) -> None:
        self.hall_id = hall_id
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=size)
        self.behind = False
        self.resyncs = 0

    def offer(self, data: str) -> None:
        """Never waits: a full queue is dropped for one ``resync``, and nothing more is
        queued until the board has read it (it re-reads the whole board then)."""
        if self.behind:
            return
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)
            self.behind = True
            self.resyncs += 1

    async def next(self, heartbeat: float = HEARTBEAT) -> str:
        """The next frame, or a keep-alive comment after ``heartbeat`` seconds of silence."""
        try:
            data = await asyncio.wait_for(self.queue.get(), heartbeat)
        except TimeoutError:
            return KEEPALIVE
        if data == RESYNC:
            self.behind = False
        return data


class _Cursor:
    """Where the reader is in the store, tolerant of ids committed out of order."""

    def __init__(self) -> None:
        self.last: int | None = None
        self.gaps: dict[int, float] = {}

    def unseen(self) -> ColumnElement[bool]:
        """The store's rows this reader has not handed out: past the last, or in a gap."""
        assert self.last is not None
        later = HallEvent.id > self.last
        return or_(later, HallEvent.id.in_(sorted(self.gaps))) if self.gaps else later

    def advance(self, rows: Sequence[Any], now: float) -> list[Any]:
        """The rows not handed out before, in id order; notes the ids skipped over."""
        assert self.last is not None
        last = self.last
        new = [r for r in rows if r.id > last or self.gaps.pop(int(r.id), None) is not None]
        top = max((int(r.id) for r in rows), default=last)
        if top > last:
            seen = {int(r.id) for r in rows}
            if top - last <= GAP_TRACK:
                for missing in range(last + 1, top):
                    if missing not in seen:
                        self.gaps[missing] = now + GAP_WAIT
            self.last = top
        for gap, until in list(self.gaps.items()):
            if until < now:
                del self.gaps[gap]
        return new


class Broadcaster:
    """The per-process fan-out. Its reader task runs while at least one board listens."""

    def __init__(self, tick: float = TICK) -> None:
        self.tick = tick
        self.halls: dict[int, set[Subscription]] = defaultdict(set)
        self.task: asyncio.Task[None] | None = None
        self.cursor = _Cursor()

    @property
    def subscribers(self) -> int:
        return sum(len(subs) for subs in self.halls.values())

    def subscribe(self, hall_id: int) -> Subscription:
        sub = Subscription(hall_id)
        self.halls[hall_id].add(sub)
        if self.task is None or self.task.done():
            self.cursor = _Cursor()  # from the store's end: a board first reads the page
            self.task = asyncio.get_running_loop().create_task(self.run())
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self.halls.get(sub.hall_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.halls[sub.hall_id]

    def publish(self, hall_id: int, data: str) -> None:
        for sub in tuple(self.halls.get(hall_id, ())):
            sub.offer(data)

    async def run(self) -> None:
        while self.halls:
            try:
                news = await run_in_threadpool(self.read, frozenset(self.halls))
            except Exception:
                # A database hiccup must not end the boards' updates: try again next tick.
                log.exception("display-board reader failed; retrying")
                news = []
            for hall_id, data in news:
                self.publish(hall_id, data)
            await asyncio.sleep(self.tick)

    def read(self, halls: frozenset[int]) -> list[tuple[int, str]]:
        """The frames for ``halls`` since the last read (runs in a worker thread)."""
        every_hall = unscoped("the board reader reads every hall's news once for all boards")
        with get_platform().uow(_READER, readonly=True) as uow:
            s = uow.session
            if self.cursor.last is None:
                newest = s.scalar(select(func.max(HallEvent.id)), execution_options=every_hall)
                self.cursor.last = int(newest or 0)
                return []
            rows = s.execute(
                select(HallEvent.id, HallEvent.org_unit_id, HallEvent.kind, HallEvent.payload)
                .where(self.cursor.unseen())
                .order_by(HallEvent.id),
                execution_options=every_hall,
            ).all()
            new = [r for r in self.cursor.advance(rows, time.monotonic()) if r.org_unit_id in halls]
            changed = sorted({int(r.org_unit_id) for r in new})
            waiting: dict[int, dict[str, int]] = {h: {} for h in changed}
            if changed:
                counted = s.execute(
                    select(Ticket.org_unit_id, Ticket.business_type, func.count())
                    .where(
                        Ticket.org_unit_id.in_(changed),
                        Ticket.business_day == clock.business_day(),
                        Ticket.status == TicketStatus.WAITING,
                    )
                    .group_by(Ticket.org_unit_id, Ticket.business_type),
                    execution_options=every_hall,
                )
                for hall_id, kind, n in counted:
                    waiting[int(hall_id)][kind.value] = int(n)
        out = [
            (
                int(r.org_unit_id),
                frame(
                    "call", {"number": r.payload.get("number"), "window": r.payload.get("window")}
                ),
            )
            for r in new
            if r.kind in CALLS
        ]
        out.extend((hall_id, frame("queue", waiting[hall_id])) for hall_id in changed)
        return out


BROADCASTER = Broadcaster()
