"""Request-body size limits (issue 12 defect 5, ADR 0023), enforced by Starlette's
``RequestBodyLimitMiddleware`` around the whole app — so before authentication and before
the body is parsed: a ``Content-Length`` above the limit is refused without reading a byte,
and a body sent without one (chunked) is counted as it streams in and refused the moment it
passes the limit.

The whole app gets :data:`DEFAULT_BODY_BYTES`; only the routes declared as uploads get more,
each by FastAPI's ``max_body_size=`` on its decorator (an inner limit raises the outer
one). Their files are streamed to a spooled temporary file by the multipart parser, not held
in memory. :class:`BodyLimit` answers the refusal as the API's error model says (JSON
naming the limit) instead of Starlette's plain ``Content Too Large``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Final

from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY, RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB: Final = 1024 * 1024
# Every JSON body and console form of the platform is a few kilobytes; 1 MiB leaves room
# for the largest (a bill run's account list, a webhook subscription) a hundred times over.
DEFAULT_BODY_BYTES: Final = 1 * MIB
# Multipart framing (boundaries, part headers, the other form fields) around an upload.
_FRAMING: Final = 1 * MIB


def upload_limit(file_bytes: int) -> int:
    """The body limit of a route taking one file of at most ``file_bytes``."""
    return file_bytes + _FRAMING


# Scanned deposit slips: the ceiling of the ``slip_max_bytes`` setting (default 10 MiB);
# the service refuses a slip above the configured size with a 422 naming ``slip``.
SLIP_BODY_BYTES: Final = upload_limit(32 * MIB)


def describe_limit(limit: int | None) -> str:
    """``请求体过大（上限 1 MB） / the request body is larger than 1 MB``."""
    if limit is None:
        return "请求体过大 / the request body is too large"
    size = f"{limit / MIB:.0f} MB" if limit >= MIB else f"{limit // 1024} KB"
    return f"请求体过大（上限 {size}） / the request body is larger than {size}"


class BodyLimit:
    """:data:`DEFAULT_BODY_BYTES` for every request, a 413 in the API's error model."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_size: int = DEFAULT_BODY_BYTES,
        localize: Callable[[str, Scope], str] | None = None,
    ) -> None:
        self.app = RequestBodyLimitMiddleware(app, max_body_size=max_body_size)
        # The caller's language, wired in by the app (this package knows no console).
        self.localize = localize or (lambda message, _scope: message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_as_error_model(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                replaced = True
                limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
                detail = self.localize(describe_limit(limit), scope)
                body = json.dumps({"detail": detail, "field": "body"}, ensure_ascii=False).encode()
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"content-type", b"content-length")
                ]
                headers += [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),  # the rest of the body is not read
                ]
                await send({**message, "headers": headers})
                await send({"type": "http.response.body", "body": body})
            elif not replaced:
                await send(message)

        await self.app(scope, receive, send_as_error_model)
