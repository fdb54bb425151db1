"""Taking in a channel callback (PAY-6, PAY-7), shared by the API routes and their ASGI
fast path: the channel's adapter checks the signature on the event loop (CPU only,
~0.1 ms) and the verified callback goes to the process's batcher, which commits it to the
durable inbox (ADR 0013) — the one way a callback reaches the ledger. A callback whose
signature fails is refused in a worker thread, which records the refusal."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool

from safegrid.bootstrap import get_platform
from safegrid.payments.online.callbacks.batch import Callback, answer_or_raise, batcher
from safegrid.payments.online.callbacks.inbox import receive_and_wake
from safegrid.payments.online.callbacks.verification import record_refusal
from safegrid.payments.online.channels import MAX_BODY, CallbackRejected, CallbackRequest
from safegrid.payments.online.registry import ChannelEntry, get_channel
from safegrid.payments.online.settings import get_channel_settings
from safegrid.platform.errors import ValidationProblem


def request_of(body: bytes, headers: Mapping[str, str]) -> CallbackRequest:
    if len(body) > MAX_BODY:
        raise ValidationProblem("回调过大 / the callback is too large", field="body")
    return CallbackRequest(body, {k.lower(): v for k, v in headers.items()})


async def receive_callback(channel: ChannelEntry, request: CallbackRequest, ip: str | None) -> str:
    """The channel's acknowledgement once the callback is in the inbox (also for a
    repeat); raises the SafeGridError to answer otherwise (4xx refusals, 503 not
    recorded)."""
    actor = dataclasses.replace(channel.actor, ip=ip)
    platform = get_platform()
    try:
        cb = get_channel(channel.name).read_callback(request)
    except CallbackRejected as exc:
        # Recorded in the audit chain (database work: off the event loop), then answered.
        await run_in_threadpool(record_refusal, platform.uow(actor), exc)
        raise
    settings = get_channel_settings()
    future = batcher(
        settings.callback_batch_max, receive_and_wake, settings.callback_linger_ms / 1000
    ).submit(platform, Callback(actor, channel.name, cb, cb.signed))
    # The answer arrives only after the batch's commit.
    return answer_or_raise(await asyncio.wrap_future(future))
