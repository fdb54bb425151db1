"""BILL-4 with BILL-5: reversing a bill cancels what it still owes in the same transaction."""

from __future__ import annotations

from datetime import date

from safegrid.billing.services import do_reverse_bill
from safegrid.collection.balances import balances
from tests.fixtures.bills import Bills


def test_bill_4_reversal_leaves_nothing_outstanding(bills: Bills) -> None:
    account = bills.account()
    bill_id = bills.bill(account, "123.45", due=date(2026, 11, 15))
    w = bills.world
    do_reverse_bill(w.platform.uow(w.system()), bill_id, "meter misread")
    with w.platform.uow(w.system(), readonly=True) as uow:
        balance = balances(uow.session, [bill_id])[bill_id]
    assert balance.outstanding_fen == 0
