"""HALL-3: display boards get their hall's news as server-sent events from one broadcaster
per process (one reader of the event store for all boards), only for their own hall, in
order; a slow board is told to resync instead of holding the others up; a board that
disconnects leaves the fan-out."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from safegrid.hall import queue
from safegrid.hall.board_stream import BROADCASTER, KEEPALIVE, QUEUE_SIZE, RESYNC, Broadcaster
from safegrid.hall.board_stream import frame as sse_frame
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.hall import Halls


def test_hall_3_boards_receive_their_halls_calls_as_events(hall_world: Halls) -> None:
    h = hall_world
    hall_a, hall_b = h.open("hallA"), h.open("hallB")
    window = h.window("hallA", 7)
    h.take("hallA")
    agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))

    async def scenario() -> tuple[str, str, list[str]]:
        hub = Broadcaster(tick=0.05)
        board_a, board_b = hub.subscribe(hall_a), hub.subscribe(hall_b)
        while hub.cursor.last is None:  # the reader starts from the store's end
            await asyncio.sleep(0.01)
        await asyncio.to_thread(queue.do_call_next, h.world.platform.uow(agent), window)
        got = await asyncio.wait_for(board_a.next(), 5)
        waiting = await asyncio.wait_for(board_a.next(), 5)
        await asyncio.sleep(0.2)  # several ticks: nothing for hallB
        pending = [] if board_b.queue.empty() else [board_b.queue.get_nowait()]
        hub.unsubscribe(board_a)
        hub.unsubscribe(board_b)
        return got, waiting, pending

    got, waiting, for_b = asyncio.run(scenario())
    assert got == 'event: call\ndata: {"number": "A0001", "window": 7}\n\n'
    assert waiting == "event: queue\ndata: {}\n\n"  # nobody left waiting at hallA
    assert for_b == []


def test_hall_3_many_boards_same_order_slow_board_resyncs_without_blocking(
    hall_world: Halls,
) -> None:
    async def scenario() -> tuple[list[list[str]], list[str], int]:
        hub = Broadcaster()
        boards = [hub.subscribe(1) for _ in range(200)]
        slow = hub.subscribe(1)  # never reads while the news arrives
        other_hall = hub.subscribe(2)
        sent = [sse_frame("call", {"number": f"A{i:04d}", "window": 1}) for i in range(100)]
        heard: list[list[str]] = [[] for _ in boards]
        for part in (sent[:50], sent[50:]):  # fast boards drain between bursts
            for data in part:
                hub.publish(1, data)
            for board, log in zip(boards, heard, strict=True):
                while not board.queue.empty():
                    log.append(await board.next())
        behind = [await slow.next()]
        hub.publish(1, sent[0])
        behind.append(await slow.next())  # after its resync the slow board hears again
        behind.append(await slow.next(heartbeat=0.01))  # then silence: a keep-alive
        quiet = other_hall.queue.qsize()
        return heard, behind, quiet

    heard, behind, quiet = asyncio.run(scenario())
    assert all(log == heard[0] for log in heard)
    assert [json.loads(d.split("data: ")[1])["number"] for d in heard[0]] == [
        f"A{i:04d}" for i in range(100)
    ]
    assert QUEUE_SIZE < 100  # the slow board overflowed: one resync, then live again
    assert behind == [RESYNC, sse_frame("call", {"number": "A0000", "window": 1}), KEEPALIVE]
    assert quiet == 0


def test_hall_3_a_disconnected_board_leaves_the_broadcaster(hall_world: Halls) -> None:
    """Through the whole app (middleware included), as uvicorn drives it."""
    hall_id = hall_world.open("hallA")
    app = app_for(hall_world.world.platform)

    async def scenario() -> tuple[list[dict[str, Any]], int, int]:
        sent: list[dict[str, Any]] = []
        gone = asyncio.Event()
        started = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if not started.is_set():
                started.set()
                return {"type": "http.request", "body": b"", "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": f"/hall/board/{hall_id}/stream",
            "raw_path": f"/hall/board/{hall_id}/stream".encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        served = asyncio.create_task(app(scope, receive, send))
        while len(sent) < 2:
            await asyncio.sleep(0.01)
        during = BROADCASTER.subscribers
        gone.set()
        await asyncio.wait_for(served, 5)
        return sent, during, BROADCASTER.subscribers

    sent, during, after = asyncio.run(scenario())
    start = sent[0]
    assert start["status"] == 200
    assert (b"content-type", b"text/event-stream; charset=utf-8") in start["headers"]
    assert sent[1]["body"] == b": subscribed\n\n"
    assert during == 1 and after == 0
