"""The channel callback's fast path: plain ASGI in front of the application (ADR 0013).

Channels post thousands of callbacks a second at peak, each a small signed body answered
by a short acknowledgement. Going through FastAPI's routing, dependency solving and
response classes cost more CPU than verifying and recording the callback; this middleware
answers exactly that request — ``POST`` to a registered channel's callback path
(:mod:`safegrid.payments.online.registry`) with the content type the channel posts — with
the same service (:func:`~safegrid.payments.online.callbacks.intake.receive_callback`),
the same error bodies (``{"detail", "field"}``) and the same security headers, and passes
everything else on. Other content types still reach the documented API routes.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safegrid.payments.online.callbacks.intake import receive_callback
from safegrid.payments.online.channels import MAX_BODY, CallbackRequest
from safegrid.payments.online.registry import by_path, get_channel
from safegrid.platform.errors import SafeGridError, ValidationProblem

log = logging.getLogger(__name__)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


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
        channel = by_path(scope["path"]) if scope["type"] == "http" else None
        if channel is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        adapter = get_channel(channel.name)
        if not adapter.accepts(headers.get("content-type", "")):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        try:
            request = CallbackRequest(await _body(receive), headers)
            await receive_callback(channel, request, client[0] if client else None)
            status, kind, body = 200, adapter.ack_content_type.encode(), adapter.ack_body
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
