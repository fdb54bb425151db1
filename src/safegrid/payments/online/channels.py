"""Online payment channels behind one adapter interface (PAY-6).

A channel does two things for SafeGrid: create an order the customer then pays on the
channel's own page, and prove that a callback about a payment really comes from the
channel (asymmetric signature, each channel its own scheme). Amount and order checks
against our own records are the service's job
(:mod:`safegrid.payments.online.callbacks.verification`), the same for every channel.
Adapters: :mod:`.sandbox`, :mod:`.wechat`; which channels exist: :mod:`.registry`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

from safegrid.platform.errors import SafeGridError

# A recorded callback's answer inside SafeGrid (first time and repeats); each adapter
# says how its channel wants to hear it (``ack_content_type``, ``ack_body``).
ACK = "success"
# Callbacks are small; anything larger is refused before it is parsed.
MAX_BODY = 16 * 1024
# Channels that post forms: the content type, and at most this many fields.
URLENCODED = "application/x-www-form-urlencoded"
MAX_FIELDS = 32
TRADE_SUCCESS = "TRADE_SUCCESS"


class ChannelUnavailableError(SafeGridError):
    status_code = 502


class CallbackRejected(SafeGridError):
    """A callback SafeGrid refuses; ``reason`` is a stable code for logs and alerts."""

    def __init__(
        self, status: int, reason: str, message: str, *, field: str, order_no: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.status_code = status
        self.reason = reason
        # The order the callback claims to be about, for the refusal's record.
        self.order_no = order_no


@dataclasses.dataclass(frozen=True)
class ChannelOrder:
    order_no: str
    pay_url: str


@dataclasses.dataclass(frozen=True)
class VerifiedCallback:
    """A callback whose signature checked out; its content is still to be compared."""

    merchant_id: str
    order_no: str
    trade_no: str
    amount: Decimal
    trade_status: str
    # The callback as the channel signed it (signature included): the inbox keeps it as
    # evidence of the payment.
    signed: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class CallbackRequest:
    """A callback as it arrived: the raw body and the headers (names in lower case)."""

    body: bytes
    headers: Mapping[str, str]


class PaymentChannelAdapter(Protocol):
    name: str
    ack_content_type: str
    ack_body: bytes

    def create_order(
        self, *, order_no: str, amount: Decimal, subject: str, return_url: str
    ) -> ChannelOrder: ...

    def accepts(self, content_type: str) -> bool:
        """Whether a callback of this content type is the channel's (the fast path)."""
        ...

    def read_callback(self, request: CallbackRequest) -> VerifiedCallback:
        """The callback's signature checked and its fields read; raises
        :class:`CallbackRejected` (or a 422 for a body that is not the channel's format)."""
        ...
