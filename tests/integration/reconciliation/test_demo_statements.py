"""REC-1/REC-2 demo: the last month's direct debits become bank statements in all four
formats with planted discrepancies, imported and matched; a second run changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from safegrid.demo import reconciliation as demo_reconciliation
from safegrid.payments.ledger.models import PaymentChannel
from safegrid.payments.ledger.services import do_capture
from safegrid.platform import clock
from safegrid.reconciliation.models import BankStatement
from tests.fixtures.bills import Bills
from tests.fixtures.world import World


def test_rec_1_demo_month_in_every_format_shows_three_colours(world: World, bills: Bills) -> None:
    account = bills.account("stationA")
    fixed = clock.FixedClock(datetime(2026, 11, 2, 10, tzinfo=clock.BUSINESS_TZ))
    clock.set_clock(fixed)
    try:
        for n in range(8):
            do_capture(
                world.platform.uow(world.system()), account_id=account, amount=Decimal(f"{100 + n}.00"),
                channel=PaymentChannel.BANK_DIRECT_DEBIT, idempotency_key=f"demo-dd-{n}",
            )  # fmt: skip
            fixed.advance(timedelta(days=3))
        first = demo_reconciliation.fill_month(world.platform, "2026-11")
        second = demo_reconciliation.fill_month(world.platform, "2026-11")
    finally:
        clock.set_clock(clock.SystemClock())
    assert first is not None and second is None  # matched: the next run does nothing
    assert (first.green, first.yellow, first.red) == (6, 1, 2)
    with world.platform.uow(world.system(), readonly=True) as uow:
        formats = sorted(uow.session.scalars(select(BankStatement.format)))
    assert formats == ["camt.053.001.08", "csv:icbc", "mt940", "xlsx:city_bank"]
