"""Online payment API: the channels' callbacks, one route per registered channel
(:mod:`safegrid.payments.online.registry`). Public: the caller is the channel, whose
signature is checked by its adapter, not a signed-in staff member. The ASGI fast path
(``payments/online/callbacks/endpoint.py``) answers the usual content type before these
routes; they take the rest (e.g. a form posted as multipart)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response

from safegrid.payments.online.callbacks.intake import receive_callback, request_of
from safegrid.payments.online.channels import MAX_FIELDS, URLENCODED
from safegrid.payments.online.registry import CHANNELS, ChannelEntry, get_channel
from safegrid.security.guards import client_ip, public

router = APIRouter(tags=["payments"])


async def _request(request: Request) -> tuple[bytes, dict[str, str]]:
    """The body as the channel signed it; a multipart form becomes the urlencoded form
    its fields make (the same fields, the same signature)."""
    headers = dict(request.headers)
    if headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_fields=MAX_FIELDS)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        headers["content-type"] = URLENCODED
        return urlencode(fields).encode(), headers
    return await request.body(), headers


def _route(channel: ChannelEntry) -> Callable[[Request], Awaitable[Response]]:
    async def callback(request: Request) -> Response:
        """Answers the channel's acknowledgement once the callback is durably in the inbox
        (also for a repeat); a 4xx JSON error naming the field otherwise (unsigned, bad
        signature, stale, unknown order, amount differs from the order); 503 if it could
        not be recorded (send it again)."""
        body, headers = await _request(request)
        await receive_callback(channel, request_of(body, headers), client_ip(request))
        adapter = get_channel(channel.name)
        return Response(adapter.ack_body, media_type=adapter.ack_content_type)

    return callback


for _channel in CHANNELS:
    router.add_api_route(
        _channel.path,
        _route(_channel),
        methods=["POST"],
        name=f"{_channel.name}_callback",
        response_class=Response,
        dependencies=[
            Depends(public(f"payment channel callback, verified by its {_channel.signature}"))
        ],
    )
