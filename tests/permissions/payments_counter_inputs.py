"""Permission-matrix inputs of the counter and daily-cash routes (PAY-1, PAY-2).

Objects inside the caller's region belong to 富阳营业厅 (hall A, served by countyA staff),
outside ones to 象山营业厅 (hall B). A deposit needs a whole cash day (receipt, checker,
drawer, safe), built on a past business day of its own so hall-days never collide.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from safegrid.customers.models import Account
from safegrid.payments.counter import deposit_slips, settlement
from safegrid.payments.counter import services as counter
from safegrid.payments.counter.schemas import (
    ConfirmIn,
    DepositIn,
    DepositOut,
    DrawerCountIn,
    PaymentIn,
    ReceiptOut,
    SafeIn,
)
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.payments.counter.shortages import CashDiscrepancy
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.world import Staff, World

# Slips of the matrix go to a scratch directory, never into the repository's var/.
os.environ.setdefault("SAFEGRID_COUNTER_SLIP_DIR", tempfile.mkdtemp(prefix="safegrid-slips-"))
get_counter_settings.cache_clear()

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
_days = itertools.count(1)
COUNTY = {"stationA": "countyA", "stationB": "countyB"}


def _account_no(w: World, unit: str) -> str:
    account_id = Bills(w).account(unit)
    Bills(w).bill(account_id, "50.00")
    with w.platform.uow(w.system(), readonly=True) as uow:
        return str(uow.session.scalar(select(Account.number).where(Account.id == account_id)))


def _receipt(w: World, unit: str, *, confirmed: bool = False) -> tuple[ReceiptOut, Staff]:
    cashier = w.staff(Post.CASHIER, COUNTY[unit])
    data = PaymentIn(
        account_no=_account_no(w, unit),
        amount=Decimal("10.00"),
        request_key=f"perm-{uuid.uuid4().hex[:20]}",
    )
    receipt = counter.do_record_payment(w.platform.uow(w.actor(cashier)), data)
    if confirmed:
        checker = w.actor(w.staff(Post.CHECKER, COUNTY[unit]))
        receipt = counter.do_confirm(
            w.platform.uow(checker), receipt.id, ConfirmIn(counted=receipt.amount)
        )
    return receipt, cashier


def _difference(w: World, unit: str) -> int:
    """A 长短款 on a receipt of ``unit``'s hall cashier (the one the matrix signs in as)."""
    receipt, _ = _receipt(w, unit)
    checker = w.actor(w.staff(Post.CHECKER, COUNTY[unit]))
    counter.do_confirm(
        w.platform.uow(checker),
        receipt.id,
        ConfirmIn(counted=receipt.amount - 1, record_difference=True),
    )
    with w.platform.uow(w.system(), readonly=True) as uow:
        return int(
            uow.session.scalar(
                select(CashDiscrepancy.id).where(CashDiscrepancy.receipt_id == receipt.id)
            )
            or 0
        )


def _settled(w: World, unit: str, *, safe: bool = False) -> tuple[int, Staff]:
    receipt, cashier = _receipt(w, unit, confirmed=True)
    s = settlement.do_count_drawer(
        w.platform.uow(w.actor(cashier)),
        DrawerCountIn(
            cashier_id=cashier.id, business_day=receipt.business_day, counted_cash=Decimal("10.00")
        ),
    )
    if safe:
        settlement.do_put_in_safe(w.platform.uow(w.actor(cashier)), s.id, SafeIn(bag_no="B-1"))
    return s.id, cashier


def _on_a_past_day(work: Callable[[], Any]) -> Any:
    day = date(2025, 1, 1) + timedelta(days=next(_days))
    clock.set_clock(clock.FixedClock(datetime.combine(day, time(10), BUSINESS_TZ)))
    try:
        return work()
    finally:
        clock.set_clock(clock.SystemClock())


def _deposit(w: World, unit: str) -> DepositOut:
    def work() -> DepositOut:
        _, cashier = _settled(w, unit, safe=True)
        other = w.staff(Post.CHECKER, COUNTY[unit])
        data = DepositIn(
            business_day=clock.business_day(),
            bank_voucher=f"BK-{uuid.uuid4().hex[:12]}",
            depositor_a_id=cashier.id,
            depositor_b_id=other.id,
        )
        dep = settlement.do_record_deposit(w.platform.uow(w.actor(cashier)), data)
        return deposit_slips.do_upload_slip(w.platform.uow(w.actor(cashier)), dep.id, PNG)

    result: DepositOut = _on_a_past_day(work)
    return result


def _deposit_body(c: Any) -> dict[str, Any]:
    w: World = c.world

    def work() -> dict[str, Any]:
        _, cashier = _settled(w, "stationA", safe=True)
        return {
            "json": {
                "business_day": clock.business_day().isoformat(),
                "bank_voucher": f"BK-{uuid.uuid4().hex[:12]}",
                "depositor_a_id": cashier.id,
                "depositor_b_id": w.staff(Post.CHECKER, "countyA").id,
            }
        }

    result: dict[str, Any] = _on_a_past_day(work)
    return result


def _settlement_body(c: Any) -> dict[str, Any]:
    receipt, cashier = _receipt(c.world, "stationA", confirmed=True)
    return {
        "json": {
            "cashier_id": cashier.id,
            "business_day": receipt.business_day.isoformat(),
            "counted_cash": "10.00",
        }
    }


def _pair(make: Callable[[World, str], Any]) -> Callable[[World, Staff], tuple[Any, Any]]:
    return lambda w, s: (make(w, "stationA"), make(w, "stationB"))


_made: dict[tuple[int, str, str], tuple[World, Any]] = {}


def _once_per_world(name: str, make: Callable[[World, str], Any]) -> Callable[[World, str], Any]:
    """For objects the routes only read (or refuse to change): one per test, not per post —
    a whole cash day is the slowest fixture of the matrix."""

    def cached(w: World, unit: str) -> Any:
        key = (id(w), name, unit)
        hit = _made.get(key)
        if hit is None or hit[0] is not w:
            hit = _made[key] = (w, make(w, unit))
        return hit[1]

    return cached


COUNTER_PARAMS: dict[str, Callable[[World, Staff], tuple[Any, Any]]] = {
    "account_no": _pair(_once_per_world("account", _account_no)),
    "receipt_id": _pair(lambda w, u: _receipt(w, u)[0].id),
    "receipt_no": _pair(_once_per_world("receipt", lambda w, u: _receipt(w, u)[0].receipt_no)),
    "settlement_id": _pair(lambda w, u: _settled(w, u)[0]),
    # Acknowledged only by the receipt's own cashier, never the matrix's: nothing changes.
    "discrepancy_id": _pair(_once_per_world("difference", _difference)),
    # A deposit always carries its slip: downloads work, uploads are refused (409).
    "deposit_id": _pair(_once_per_world("deposit", lambda w, u: _deposit(w, u).id)),
    "bank_voucher": _pair(_once_per_world("voucher", lambda w, u: _deposit(w, u).bank_voucher)),
}
COUNTER_BODIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "POST /api/counter/payments": lambda c: {
        "json": {
            "account_no": _account_no(c.world, "stationA"),
            "amount": "10.00",
            "request_key": f"perm-{uuid.uuid4().hex[:20]}",
        }
    },
    "POST /api/counter/receipts/{receipt_id}/confirm": lambda c: {"json": {"counted": "10.00"}},
    "POST /api/counter/receipts/{receipt_id}/void-request": lambda c: {
        "json": {"reason": "录入错误"}
    },
    "POST /api/counter/receipts/{receipt_id}/void-cosign": lambda c: {},
    "POST /api/counter/receipts/{receipt_id}/void-cancel": lambda c: {"json": {"note": "误报"}},
    "POST /api/counter/settlements": _settlement_body,
    "POST /api/counter/settlements/{settlement_id}/safe": lambda c: {"json": {"bag_no": "B-9"}},
    "POST /api/counter/deposits": _deposit_body,
    "POST /api/counter/deposits/{deposit_id}/slip": lambda c: {
        "files": {"slip": ("slip.png", PNG, "image/png")}
    },
}


def _as_form(make: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    return lambda c: {"data": {k: str(v) for k, v in make(c)["json"].items()}}


COUNTER_BODIES.update(
    {
        "POST /counter/desk/payments": _as_form(COUNTER_BODIES["POST /api/counter/payments"]),
        "POST /counter/receipts/{receipt_id}/confirm": lambda c: {"data": {"counted": "10.00"}},
        "POST /counter/discrepancies/{discrepancy_id}/acknowledge": lambda c: {
            "data": {"note": "已核对"}
        },
        "POST /counter/receipts/{receipt_id}/void-request": lambda c: {
            "data": {"reason": "录入错误"}
        },
        "POST /counter/receipts/{receipt_id}/void-cosign": lambda c: {},
        "POST /counter/receipts/{receipt_id}/void-cancel": lambda c: {"data": {"note": "误报"}},
        "POST /counter/settlement/drawers": _as_form(_settlement_body),
        "POST /counter/settlement/drawers/{settlement_id}/safe": lambda c: {
            "data": {"bag_no": "B-9"}
        },
        "POST /counter/settlement/deposits": _as_form(_deposit_body),
        "POST /counter/settlement/deposits/{deposit_id}/slip": lambda c: {
            "files": {"slip": ("slip.png", PNG, "image/png")}
        },
    }
)
COUNTER_ALLOWED_BUSINESS: dict[str, set[int]] = {
    # Only the receipt's own cashier or a checker of the hall may ask: another cashier is
    # refused by the service, which proves the guard let him through.
    "POST /api/counter/receipts/{receipt_id}/void-request": {403},
    # Nobody asked for a void of a fresh receipt yet (409), or the caller is not the pair (403).
    "POST /api/counter/receipts/{receipt_id}/void-cosign": {403, 409},
    "POST /api/counter/receipts/{receipt_id}/void-cancel": {403, 409},
    # The deposit's slip is already there and is never replaced.
    "POST /api/counter/deposits/{deposit_id}/slip": {409},
    "POST /counter/receipts/{receipt_id}/void-request": {403},
    "POST /counter/receipts/{receipt_id}/void-cosign": {403, 409},
    "POST /counter/receipts/{receipt_id}/void-cancel": {403, 409},
    "POST /counter/settlement/deposits/{deposit_id}/slip": {409},
    # Only the receipt's own cashier acknowledges its 长短款; the matrix's cashier is another.
    "POST /counter/discrepancies/{discrepancy_id}/acknowledge": {403},
}
