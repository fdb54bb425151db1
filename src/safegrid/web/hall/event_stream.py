"""A display board's server-sent-event response (HALL-3).

Plain ASGI on the event loop: while it waits for the broadcaster it holds no worker thread
and no database connection. It listens for the client's disconnect itself (a server
speaking ASGI 2.4 no longer tells a streaming response otherwise until its next write
fails), so a board that goes away leaves the fan-out at once.
"""

from __future__ import annotations

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from safegrid.hall.board_stream import HEARTBEAT, SUBSCRIBED, Broadcaster


class EventStream(Response):
    media_type = "text/event-stream"

    def __init__(
        self, broadcaster: Broadcaster, hall_id: int, heartbeat: float = HEARTBEAT
    ) -> None:
        self.broadcaster, self.hall_id, self.heartbeat = broadcaster, hall_id, heartbeat
        self.status_code = 200
        self.background = None
        # No-store: a proxy must not cache a stream; X-Accel-Buffering: nginx must not buffer it.
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sub = self.broadcaster.subscribe(self.hall_id)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async with anyio.create_task_group() as group:

                async def until_disconnected() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()

                group.start_soon(until_disconnected)
                data = SUBSCRIBED
                while True:
                    body = data.encode()
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                    data = await sub.next(self.heartbeat)
        except OSError:
            pass  # the client went away in the middle of a write
        finally:
            self.broadcaster.unsubscribe(sub)
