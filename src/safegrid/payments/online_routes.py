"""Online payment API: the channel's callback (public: the caller is the channel, whose
RSA2 signature is checked by the service, not a signed-in staff member)."""

from __future__ import annotations

import asyncio
import dataclasses
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from safegrid.bootstrap import get_platform
from safegrid.payments.callback_batch import Callback, answer_or_raise, apply_batch, batcher
from safegrid.payments.callback_inbox import receive_and_wake
from safegrid.payments.channel_settings import get_channel_settings
from safegrid.payments.channels import SANDBOX, CallbackRejected, get_channel
from safegrid.payments.online_callbacks import do_handle_callback
from safegrid.platform.errors import ValidationProblem
from safegrid.security.actor import Actor
from safegrid.security.guards import client_ip, public

router = APIRouter(prefix="/api/payments/online", tags=["payments"])

MAX_FIELDS = 32
MAX_BODY = 16 * 1024
URLENCODED = "application/x-www-form-urlencoded"
# Built once: an Actor is immutable, and building one per callback showed in profiles.
_CHANNEL = Actor.system(f"channel:{SANDBOX}", "api")


async def _fields(request: Request) -> dict[str, str]:
    """The callback's form fields. Channels post ``application/x-www-form-urlencoded``;
    that is parsed here directly (the general form parser costs more than the signature
    check), anything else goes through Starlette's parser."""
    if request.headers.get("content-type", "").startswith(URLENCODED):
        body = await request.body()
        if len(body) > MAX_BODY:
            raise ValidationProblem("回调过大 / the callback is too large", field="body")
        try:
            pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            raise ValidationProblem(
                "回调格式无效 / the callback is not a valid form", field="body"
            ) from None
        return dict(pairs)
    form = await request.form(max_fields=MAX_FIELDS)
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post(
    "/callbacks/sandbox",
    response_class=PlainTextResponse,
    dependencies=[Depends(public("payment channel callback, verified by its RSA2 signature"))],
)
async def sandbox_callback(request: Request) -> PlainTextResponse:
    """Answers exactly ``success`` once the payment is recorded (also for a repeat); a
    4xx JSON error naming the field otherwise (unsigned, bad signature, unknown order,
    amount differs from the order); 503 if it could not be recorded (send it again)."""
    params = await _fields(request)
    actor = dataclasses.replace(_CHANNEL, ip=client_ip(request))
    channel = get_channel(SANDBOX)
    platform = get_platform()
    batch_max = get_channel_settings().callback_batch_max
    if batch_max > 1:
        try:
            # RSA2 verification is CPU only (~0.1 ms): on the event loop, no thread hop.
            cb = channel.verify_callback(params)
        except CallbackRejected:
            cb = None  # recorded (audit chain) by the one-transaction path below
        if cb is not None:
            settings = get_channel_settings()
            work = receive_and_wake if settings.callback_inbox else apply_batch
            future = batcher(batch_max, work).submit(
                platform, Callback(actor, channel.name, cb, params)
            )
            # The answer arrives only after the batch's commit (ADR 0010).
            return PlainTextResponse(answer_or_raise(await asyncio.wrap_future(future)))
    # The service is synchronous (database work): off the event loop.
    answer = await run_in_threadpool(do_handle_callback, platform.uow(actor), channel, params)
    return PlainTextResponse(answer)
