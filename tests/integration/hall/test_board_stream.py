"""HALL-3: display boards get each call as a server-sent event from one shared tail of the
event store (one query per tick for all boards), only for their own hall."""

from __future__ import annotations

import asyncio

from safegrid.hall import queue
from safegrid.hall.board_stream import Tail
from safegrid.security.policy import Post
from tests.fixtures.hall import Halls


def test_hall_3_boards_receive_their_halls_calls_as_events(hall_world: Halls) -> None:
    h = hall_world
    hall_a, hall_b = h.open("hallA"), h.open("hallB")
    window = h.window("hallA", 7)
    h.take("hallA")
    agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))

    async def scenario() -> tuple[str, list[str]]:
        tail = Tail()
        board_a, board_b = tail.subscribe(hall_a), tail.subscribe(hall_b)
        assert await anext(board_a) == ": subscribed\n\n"
        assert await anext(board_b) == ": subscribed\n\n"
        while tail.last_id is None:  # the tail starts from the store's end
            await asyncio.sleep(0.01)
        await asyncio.to_thread(queue.do_call_next, h.world.platform.uow(agent), window)
        got = await asyncio.wait_for(anext(board_a), 5)
        other = asyncio.ensure_future(anext(board_b))
        await asyncio.sleep(1.2)  # two ticks: nothing for hallB
        pending = [] if not other.done() else [other.result()]
        other.cancel()
        await board_a.aclose()
        return got, pending

    got, for_b = asyncio.run(scenario())
    assert got == 'event: call\ndata: {"number": "A0001", "window": 7}\n\n'
    assert for_b == []
