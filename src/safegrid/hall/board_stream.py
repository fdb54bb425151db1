"""Live updates for display boards (HALL-3) without a query per board: one tail per server
process reads the calls appended to the event store since its last look (one indexed
query every ``TICK`` seconds, whatever the number of boards) and hands each to the boards
of its hall as a server-sent event. A thousand boards cost a thousand idle connections,
not a thousand polls.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Final

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from safegrid.bootstrap import get_platform
from safegrid.hall import store
from safegrid.hall.models import HallEvent
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped

TICK: Final = 0.5
KEEPALIVE_TICKS: Final = 30
CALLS = (store.TICKET_CALLED, store.TICKET_RECALLED)
_READER = Actor.system("display-board", "web")


class Tail:
    def __init__(self) -> None:
        self.boards: dict[int, set[asyncio.Queue[str]]] = defaultdict(set)
        self.last_id: int | None = None
        self.task: asyncio.Task[None] | None = None

    def _fetch(self) -> list[tuple[int, int, dict[str, object]]]:
        every_hall = unscoped("the board tail reads every hall's calls once for all boards")
        with get_platform().uow(_READER, readonly=True) as uow:
            if self.last_id is None:
                self.last_id = int(
                    uow.session.scalar(select(func.max(HallEvent.id)), execution_options=every_hall)
                    or 0
                )
                return []
            rows = uow.session.execute(
                select(HallEvent.id, HallEvent.org_unit_id, HallEvent.payload)
                .where(HallEvent.id > self.last_id, HallEvent.kind.in_(CALLS))
                .order_by(HallEvent.id),
                execution_options=every_hall,
            ).all()
        if rows:
            self.last_id = int(rows[-1].id)
        return [(int(r.id), int(r.org_unit_id), dict(r.payload)) for r in rows]

    async def run(self) -> None:
        while self.boards:
            for _event_id, hall_id, payload in await run_in_threadpool(self._fetch):
                data = json.dumps(
                    {"number": payload.get("number"), "window": payload.get("window")},
                    ensure_ascii=False,
                )
                for queue in self.boards.get(hall_id, ()):
                    queue.put_nowait(data)
            await asyncio.sleep(TICK)
        self.task = None

    async def subscribe(self, hall_id: int) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=100)
        self.boards[hall_id].add(queue)
        if self.task is None:
            self.task = asyncio.create_task(self.run())
        try:
            yield ": subscribed\n\n"
            while True:
                try:
                    data = await asyncio.wait_for(queue.get(), TICK * KEEPALIVE_TICKS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: call\ndata: {data}\n\n"
        finally:
            self.boards[hall_id].discard(queue)
            if not self.boards[hall_id]:
                del self.boards[hall_id]


TAIL = Tail()
