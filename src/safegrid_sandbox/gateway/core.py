"""What the sandbox gateway does: accept signed orders, take payments, and keep signed
callbacks owed to the merchant until they are acknowledged."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from cryptography.hazmat.primitives.asymmetric import rsa

from safegrid.payments.online import signing
from safegrid_sandbox.gateway.store import Delivery, GatewayStore, Order

TAMPER = "tamper_report_fen"
TRADE_SUCCESS = "TRADE_SUCCESS"
MAX_FEN = 10**12  # a sandbox sanity bound, far above any real bill


class GatewayError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def parse_fen(text: str | None, field: str = "amount") -> int:
    """ "100.00" → 10000; refuses anything that is not a positive amount with ≤ 2 places."""
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        raise GatewayError(422, f"{field} is not a number", field) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise GatewayError(422, f"{field} must be positive with at most 2 decimals", field)
    fen = int(value * 100)
    if fen > MAX_FEN:
        raise GatewayError(422, f"{field} is too large", field)
    return fen


def fen_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class SandboxGateway:
    def __init__(
        self,
        store: GatewayStore,
        gateway_key: rsa.RSAPrivateKey,
        merchant_public: rsa.RSAPublicKey,
        *,
        retry_base: float = 1.0,
        retry_max: float = 60.0,
    ) -> None:
        self.store = store
        self._key = gateway_key
        self._merchant = merchant_public
        self.retry_base = retry_base
        self.retry_max = retry_max

    # --- merchant API ---------------------------------------------------------------

    def create_order(self, params: Mapping[str, str]) -> Order:
        if not signing.verify(params, self._merchant):
            raise GatewayError(401, "bad or missing merchant signature", "sign")
        for field in ("merchant_id", "merchant_order_no", "subject", "return_url"):
            if not params.get(field):
                raise GatewayError(422, f"{field} is required", field)
        no = params["merchant_order_no"]
        if len(no) > 64:
            raise GatewayError(422, "merchant_order_no is too long", "merchant_order_no")
        fen = parse_fen(params.get("amount"))
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT amount_fen FROM orders WHERE merchant_order_no = ?", (no,)
            ).fetchone()
            if row is not None and row[0] != fen:
                raise GatewayError(409, "order exists with another amount", "amount")
            if row is None:
                conn.execute(
                    "INSERT INTO orders (merchant_order_no, merchant_id, amount_fen, subject, "
                    "return_url, status, created_at) VALUES (?, ?, ?, ?, ?, 'created', ?)",
                    (
                        no,
                        params["merchant_id"],
                        fen,
                        params["subject"][:128],
                        params["return_url"],
                        time.time(),
                    ),
                )
        order = self.store.order(no)
        assert order is not None
        return order

    # --- payment ----------------------------------------------------------------------

    def pay(self, merchant_order_no: str, report_amount: str | None = None) -> Delivery:
        """The customer pays the order in full. The callback normally reports what was paid;
        tamper mode (or ``report_amount``) makes it report another amount."""
        report_fen: int | None = None
        if report_amount is not None:
            report_fen = parse_fen(report_amount, "report_amount")
        else:
            mode = self.store.mode(TAMPER)
            report_fen = int(mode) if mode else None
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT merchant_id, amount_fen, status, trade_no FROM orders "
                "WHERE merchant_order_no = ?",
                (merchant_order_no,),
            ).fetchone()
            if row is None:
                raise GatewayError(404, "unknown order", "merchant_order_no")
            merchant_id, amount_fen, status, trade_no = row
            if status == "paid":
                existing = trade_no
            elif status != "created":
                raise GatewayError(409, f"order is {status}", "merchant_order_no")
            else:
                existing = None
                trade_no = self._trade_no()
                now = time.time()
                reported = amount_fen if report_fen is None else report_fen
                body = signing.signed(
                    {
                        "merchant_id": merchant_id,
                        "merchant_order_no": merchant_order_no,
                        "trade_no": trade_no,
                        "amount": fen_text(reported),
                        "trade_status": TRADE_SUCCESS,
                        "paid_at": datetime.fromtimestamp(now, UTC).isoformat(),
                        "notify_id": secrets.token_hex(12),
                    },
                    self._key,
                )
                conn.execute(
                    "UPDATE orders SET status = 'paid', trade_no = ?, paid_at = ? "
                    "WHERE merchant_order_no = ?",
                    (trade_no, now, merchant_order_no),
                )
                conn.execute(
                    "INSERT INTO deliveries (trade_no, merchant_order_no, amount_fen, "
                    "reported_fen, body, next_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (trade_no, merchant_order_no, amount_fen, reported, json.dumps(body), now),
                )
        found = self.store.delivery(existing or trade_no)
        assert found is not None
        return found

    def cancel(self, merchant_order_no: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE orders SET status = 'cancelled' "
                "WHERE merchant_order_no = ? AND status = 'created'",
                (merchant_order_no,),
            )

    def set_tamper(self, report_amount: str | None) -> int | None:
        fen = None if report_amount is None else parse_fen(report_amount, "report_amount")
        self.store.set_mode(TAMPER, None if fen is None else str(fen))
        return fen

    def sign(self, params: Mapping[str, str]) -> dict[str, str]:
        return signing.signed(params, self._key)

    # --- delivery bookkeeping -------------------------------------------------------

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        return float(min(self.retry_base * 2 ** max(attempts - 1, 0), self.retry_max))

    def record(
        self, delivery: Delivery, *, status: int | None, body: str | None, error: str | None
    ) -> bool:
        """Record one attempt; delivered only when the merchant answered exactly
        ``success`` (any other answer is a failure and is retried)."""
        ok = status == 200 and body == "success"
        now = time.time()
        if not ok and error is None:
            error = f"HTTP {status}: {(body or '')[:200]}"
        self.store.record_attempt(
            delivery.trade_no,
            delivered=ok,
            status=status,
            error=None if ok else error,
            next_at=now + self.backoff(delivery.attempts + 1),
            now=now,
        )
        return ok

    @staticmethod
    def _trade_no() -> str:
        day = datetime.now(UTC).strftime("%Y%m%d")
        return f"SBX{day}{secrets.token_hex(8).upper()}"
