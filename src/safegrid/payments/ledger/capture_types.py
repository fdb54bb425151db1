"""What the capture takes and answers (:mod:`.batch`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

from safegrid.payments.ledger.models import PaymentChannel


@dataclasses.dataclass(frozen=True)
class CaptureItem:
    """One payment to capture."""

    account_id: int
    amount: Decimal
    channel: PaymentChannel
    idempotency_key: str
    bill_id: int | None = None
    receipt_no: str | None = None
    hall_id: int | None = None
    order_id: int | None = None
    cashier: str | None = None


@dataclasses.dataclass(frozen=True)
class CaptureResult:
    payment_id: int
    applied: Decimal
    credited: Decimal
    replayed: bool


Answer = CaptureResult | Exception
Hook = Callable[[int], None]
