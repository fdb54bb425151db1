"""Handing claimed deliveries to their targets, outside any transaction (ADR 0016): an
in-process subscriber gets its events as one batch (retries one by one, so one bad event
cannot keep failing its neighbours); a webhook gets one signed POST per event."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

import httpx

from safegrid.platform import clock
from safegrid.platform.events import Subscriber
from safegrid.relay import signing
from safegrid.relay.deliveries import Claimed, Outcome

log = logging.getLogger(__name__)

# Share of the claim's lease spent delivering before the rest is handed back unattempted,
# so a slow batch never outlives its lease and gets delivered twice.
LEASE_USE: Final = 0.8


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def deliver(
    claimed: Sequence[Claimed],
    subscribers: Mapping[str, Subscriber],
    lease_until: datetime,
    *,
    timeout_seconds: float,
) -> list[Outcome]:
    deadline = time.monotonic() + LEASE_USE * (lease_until - clock.now()).total_seconds()
    by_target: dict[str, list[Claimed]] = {}
    for c in claimed:
        by_target.setdefault(c.target, []).append(c)
    outcomes: list[Outcome] = []
    client: httpx.Client | None = None
    try:
        for target, items in by_target.items():
            if time.monotonic() > deadline:
                outcomes += [Outcome(c, "released") for c in items]
            elif items[0].webhook is None:
                name = target.removeprefix("subscriber:")
                outcomes += _to_subscriber(subscribers.get(name), name, items)
            else:
                if client is None:
                    client = httpx.Client(timeout=timeout_seconds, follow_redirects=False)
                outcomes += _to_webhook(client, items, deadline)
    finally:
        if client is not None:
            client.close()
    return outcomes


def _to_subscriber(sub: Subscriber | None, name: str, items: list[Claimed]) -> list[Outcome]:
    if sub is None:
        error = f"no subscriber {name!r} in this process (add its module to SUBSCRIBER_MODULES)"
        return [Outcome(c, "failed", error) for c in items]
    first = [c for c in items if c.attempts == 0]
    chunks = ([first] if first else []) + [[c] for c in items if c.attempts > 0]
    outcomes: list[Outcome] = []
    for chunk in chunks:
        try:
            sub.handler([c.record for c in chunk])
        except Exception as exc:
            log.warning("subscriber %s failed on %d events: %s", name, len(chunk), exc)
            outcomes += [Outcome(c, "failed", _describe(exc)) for c in chunk]
        else:
            outcomes += [Outcome(c, "delivered") for c in chunk]
    return outcomes


def _to_webhook(client: httpx.Client, items: list[Claimed], deadline: float) -> list[Outcome]:
    hook = items[0].webhook
    assert hook is not None
    if not hook.active:
        return [Outcome(c, "dropped") for c in items]
    outcomes: list[Outcome] = []
    unreachable: str | None = None
    for c in items:
        if unreachable is not None:
            # One timeout per batch, not one per event: the rest back off with it.
            outcomes.append(Outcome(c, "failed", f"not tried, endpoint failing: {unreachable}"))
            continue
        if time.monotonic() > deadline:
            outcomes.append(Outcome(c, "released"))
            continue
        body = signing.body_of(c.record)
        try:
            response = client.post(
                hook.url,
                content=body,
                headers=signing.headers(hook.secret, c.record, body, clock.now()),
            )
        except httpx.HTTPError as exc:
            unreachable = _describe(exc)
            outcomes.append(Outcome(c, "failed", unreachable))
            continue
        if response.is_success:
            outcomes.append(Outcome(c, "delivered"))
        else:
            text = response.text[:200].replace("\n", " ")
            outcomes.append(Outcome(c, "failed", f"HTTP {response.status_code}: {text}"))
    return outcomes
