"""The channel callback's fast path: plain ASGI in front of the application (ADR 0013).

Channels post thousands of callbacks a second at peak, each a small urlencoded form
answered by ``success``. Going through FastAPI's routing, dependency solving and response
classes cost more CPU than verifying and recording the callback; this middleware answers
exactly that request — ``POST`` to the callback path with an urlencoded body — with the
same service (:func:`~safegrid.payments.online.callbacks.intake.receive_callback`), the same
error bodies (``{"detail", "field"}``) and the same security headers, and passes
everything else on. Other content types still reach the documented API route.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safegrid.payments.online.callbacks.intake import (
    MAX_BODY,
    URLENCODED,
    parse_form,
    receive_callback,
)
from safegrid.platform.errors import SafeGridError, ValidationProblem

log = logging.getLogger(__name__)

PATH = "/api/payments/online/callbacks/sandbox"
_URLENCODED = URLENCODED.encode()


def _urlencoded(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"content-type":
            return bool(value.startswith(_URLENCODED))
    return False


async def _body(receive: Receive) -> bytes:
    """The request body, refused once it passes MAX_BODY (not read to the end)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ConnectionError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise ValidationProblem("回调过大 / the callback is too large", field="body")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class CallbackFastPath:
    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or not _urlencoded(scope)
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        try:
            params = parse_form(await _body(receive))
            status, kind, body = (
                200,
                b"text/plain; charset=utf-8",
                (await receive_callback(params, client[0] if client else None)).encode(),
            )
        except ConnectionError:
            return
        except SafeGridError as exc:
            detail: dict[str, object] = {"detail": exc.message}
            if exc.field:
                detail["field"] = exc.field
            status, kind = exc.status_code, b"application/json"
            body = json.dumps(detail, ensure_ascii=False).encode()
        except Exception:
            log.exception("channel callback failed")
            status, kind = 500, b"application/json"
            body = b'{"detail":"Internal Server Error"}'
        start: Message = {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                *self._headers,
            ],
        }
        await send(start)
        await send({"type": "http.response.body", "body": body})
