"""Taking in a channel callback (PAY-6, PAY-7), shared by the API route and its ASGI fast
path: the form parsed, the signature checked on the event loop (CPU only, ~0.1 ms), then
the verified callback handed to the process's batcher — into the durable inbox (ADR 0013)
or, with the inbox off, straight to the ledger (ADR 0010). A callback whose signature
fails, or the one-per-transaction mode, takes the synchronous path in a worker thread,
which records the refusal."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool

from safegrid.bootstrap import get_platform
from safegrid.payments.online.callbacks.batch import Callback, answer_or_raise, apply_batch, batcher
from safegrid.payments.online.callbacks.inbox import receive_and_wake
from safegrid.payments.online.callbacks.verification import do_handle_callback
from safegrid.payments.online.channels import SANDBOX, CallbackRejected, get_channel
from safegrid.payments.online.settings import get_channel_settings
from safegrid.platform.errors import ValidationProblem
from safegrid.security.actor import Actor

MAX_FIELDS = 32
MAX_BODY = 16 * 1024
URLENCODED = "application/x-www-form-urlencoded"
# Built once: an Actor is immutable, and building one per callback showed in profiles.
_CHANNEL = Actor.system(f"channel:{SANDBOX}", "api")


def parse_form(body: bytes) -> dict[str, str]:
    """An urlencoded callback body (the general form parser costs more than the signature
    check); too large or malformed → 422 naming the body."""
    if len(body) > MAX_BODY:
        raise ValidationProblem("回调过大 / the callback is too large", field="body")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise ValidationProblem(
            "回调格式无效 / the callback is not a valid form", field="body"
        ) from None
    return dict(pairs)


async def receive_callback(params: Mapping[str, str], ip: str | None) -> str:
    """``success`` once the callback is recorded (also for a repeat); raises the
    SafeGridError to answer otherwise (4xx refusals, 503 not recorded)."""
    actor = dataclasses.replace(_CHANNEL, ip=ip)
    channel = get_channel(SANDBOX)
    platform = get_platform()
    settings = get_channel_settings()
    if settings.callback_batch_max > 1:
        try:
            cb = channel.verify_callback(params)
        except CallbackRejected:
            cb = None  # recorded (audit chain) by the one-transaction path below
        if cb is not None:
            work = receive_and_wake if settings.callback_inbox else apply_batch
            linger = settings.callback_linger_ms / 1000
            future = batcher(settings.callback_batch_max, work, linger).submit(
                platform, Callback(actor, channel.name, cb, dict(params))
            )
            # The answer arrives only after the batch's commit.
            return answer_or_raise(await asyncio.wrap_future(future))
    # The service is synchronous (database work): off the event loop.
    return await run_in_threadpool(do_handle_callback, platform.uow(actor), channel, params)
