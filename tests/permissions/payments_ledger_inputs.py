"""Permission-matrix inputs of the payment ledger routes: search, trace, refunds (PAY-7)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from safegrid.payments.ledger import refunds
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.models import PaymentChannel
from safegrid.payments.online.callbacks.applier import MAX_ATTEMPTS
from safegrid.payments.online.callbacks.models import CallbackInbox, InboxState
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.platform import clock
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.world import Staff, World


def _payment_in(w: World, unit: str) -> int:
    b = Bills(w)
    account = b.account(unit)
    b.bill(account, "50.00")
    return ledger.do_capture(
        w.platform.uow(w.system()),
        account_id=account,
        amount=Decimal("80.00"),
        channel=PaymentChannel.COUNTER_CASH,
        idempotency_key=f"perm-{account}",
    ).payment_id


def _payment(w: World, s: Staff) -> tuple[int, int]:
    return _payment_in(w, "stationA"), _payment_in(w, "stationB")


def _refund_in(w: World, unit: str, county: str) -> int:
    # Asked for by someone else, so whoever has the permission may decide it.
    asker = w.staff(Post.CASHIER, county)
    row = refunds.do_request_refund(
        w.platform.uow(w.actor(asker)),
        refunds.RefundAsk(_payment_in(w, unit), Decimal("10.00"), "多缴退款"),
    )
    return row.id


def _refund(w: World, s: Staff) -> tuple[int, int]:
    return _refund_in(w, "stationA", "countyA"), _refund_in(w, "stationB", "countyB")


def _stuck_in(w: World, unit: str) -> int:
    """An inbox row that failed repeatedly (what the put-back button is for)."""
    b = Bills(w)
    account = b.account(unit)
    now = clock.now()
    no = f"OLPERM{account:010d}"
    with w.platform.engine.begin() as conn:
        order_id = conn.execute(
            insert(PaymentOrder).returning(PaymentOrder.id),
            [
                {
                    "order_no": no,
                    "account_id": account,
                    "channel": "sandbox",
                    "amount": Decimal("10.00"),
                    "status": OrderStatus.CREATED,
                    "business_day": clock.business_day(now),
                    "step_up_pending": False,
                    "created_at": now,
                    "expires_at": now,
                    "org_unit_id": w.units[unit],
                }
            ],
        ).scalar_one()
        return int(
            conn.execute(
                insert(CallbackInbox).returning(CallbackInbox.id),
                [
                    {
                        "channel": "sandbox",
                        "trade_no": f"SBXPERM{account:010d}",
                        "order_no": no,
                        "order_id": order_id,
                        "amount": Decimal("10.00"),
                        "signed": "{}",
                        "received_at": now,
                        "state": InboxState.PENDING,
                        "attempts": MAX_ATTEMPTS,
                        "org_unit_id": w.units[unit],
                    }
                ],
            ).scalar_one()
        )


def _stuck(w: World, s: Staff) -> tuple[int, int]:
    return _stuck_in(w, "stationA"), _stuck_in(w, "stationB")


LEDGER_PARAMS: dict[str, Callable[[World, Staff], tuple[Any, Any]]] = {
    "payment_id": _payment,
    "refund_id": _refund,
    "inbox_id": _stuck,
}


def _ask(c: Any) -> dict[str, Any]:
    return {"payment_id": _payment_in(c.world, "stationA"), "amount": "10.00", "reason": "多缴"}


LEDGER_BODIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "POST /api/payments/refunds": lambda c: {"json": _ask(c)},
    "POST /api/payments/refunds/{refund_id}/decision": lambda c: {"json": {"approve": True}},
    "POST /payments/refunds": lambda c: {"data": {k: str(v) for k, v in _ask(c).items()}},
    "POST /payments/refunds/{refund_id}/decision": lambda c: {"data": {"approve": "yes"}},
    "POST /payments/inbox/{inbox_id}/put-back": lambda c: {},
}
