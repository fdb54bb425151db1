"""Webhook request signing (ADR 0016): HMAC-SHA256 over ``<timestamp>.<body>``.

Headers sent with every delivery::

    X-SafeGrid-Event-Id: 1234            (the outbox id: deduplicate on it)
    X-SafeGrid-Event: CustomerRegistered
    X-SafeGrid-Timestamp: 1796601600     (Unix seconds when signed)
    X-SafeGrid-Signature: v1=<hex>       (HMAC-SHA256(secret, "<timestamp>." + body))

A receiver recomputes the signature over the raw body, compares in constant time, and
refuses a timestamp further than a few minutes from its own clock, so a captured request
cannot be replayed later; the event id lets it drop a redelivery it has already handled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from safegrid.platform.events import EventRecord

EVENT_ID: Final = "X-SafeGrid-Event-Id"
EVENT: Final = "X-SafeGrid-Event"
TIMESTAMP: Final = "X-SafeGrid-Timestamp"
SIGNATURE: Final = "X-SafeGrid-Signature"
VERSION: Final = "v1"
TOLERANCE_SECONDS: Final = 300


class SignatureError(ValueError):
    """A request whose signature does not verify, or whose timestamp is too old or new."""


def body_of(record: EventRecord) -> bytes:
    return json.dumps(
        {
            "id": record.id,
            "topic": record.topic,
            "created_at": record.created_at.isoformat(),
            "payload": record.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def headers(secret: str, record: EventRecord, body: bytes, at: datetime) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        EVENT_ID: str(record.id),
        EVENT: record.topic,
        TIMESTAMP: timestamp,
        SIGNATURE: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    request_headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    tolerance_seconds: int = TOLERANCE_SECONDS,
) -> None:
    """What a receiver does (Python receivers may import it): raises SignatureError unless
    the raw ``body`` is signed with ``secret`` and was signed within ``tolerance_seconds``
    of ``now``. Header names are matched without regard to case."""
    lower = {k.lower(): v for k, v in request_headers.items()}
    timestamp = lower.get(TIMESTAMP.lower()) or ""
    given = lower.get(SIGNATURE.lower()) or ""
    if not timestamp.isdigit():
        raise SignatureError(f"missing or malformed {TIMESTAMP}")
    if abs(now.timestamp() - int(timestamp)) > tolerance_seconds:
        raise SignatureError("timestamp outside the tolerance: refused as a possible replay")
    if not hmac.compare_digest(signature(secret, timestamp, body), given):
        raise SignatureError("signature does not match the body")
