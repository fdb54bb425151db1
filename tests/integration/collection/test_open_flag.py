"""Issue 13 (/arrears under 1 s at province scope): ``Bill.collection_open`` says a bill
still owes principal or late fee. The write-off writers keep it (a payment's batch settles,
a void's unwind reopens, a manual write-off settles), the arrears list reads only open
bills, and migration 0027's backfill computes it from what was already written."""

from __future__ import annotations

import importlib.util
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text, update

from safegrid.billing.models import Bill
from safegrid.collection import reports
from safegrid.collection.writeoffs import do_write_off_oldest_first
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.models import PaymentChannel
from safegrid.platform.paging import PageQuery
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

D = Decimal
MIGRATION = (
    Path(__file__).resolve().parents[3] / "migrations/versions/0027_bills_collection_open.py"
)


def flags(world: World, *bill_ids: int) -> list[bool]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        found = dict(
            uow.session.execute(
                select(Bill.id, Bill.collection_open).where(Bill.id.in_(bill_ids))
            ).all()
        )
    return [bool(found[b]) for b in bill_ids]


def arrears_ids(world: World) -> set[int]:
    page = reports.list_arrears(
        world.platform.uow(world.system(), readonly=True), PageQuery(page=1, size=100)
    )
    return {row.bill_id for row in page.items}


def test_open_flag_follows_payments_voids_and_write_offs(
    world: World, bills: Bills, fixed_clock: object
) -> None:
    account = bills.account()
    older = bills.bill(account, "50.00", period="2026-08", due=date(2026, 9, 25))
    newer = bills.bill(account, "30.00", period="2026-09", due=date(2026, 10, 25))
    other = bills.bill(bills.account(), "40.00", period="2026-09", due=date(2026, 10, 25))
    assert flags(world, older, newer, other) == [True, True, True]
    assert {older, newer, other} <= arrears_ids(world)

    paid = ledger.do_capture(
        world.platform.uow(world.system()),
        account_id=account,
        amount=D("60.00"),
        channel=PaymentChannel.COUNTER_CASH,
        idempotency_key="K-OPEN-1",
    )
    assert flags(world, older, newer) == [False, True]  # 50 settled, 10 of 30 paid
    assert older not in arrears_ids(world) and newer in arrears_ids(world)

    ledger.do_void(
        world.platform.uow(world.system()), paid.payment_id, reason="收错户号", reference="V-OPEN"
    )
    assert flags(world, older, newer) == [True, True]  # the unwind reopens both
    assert {older, newer} <= arrears_ids(world)

    do_write_off_oldest_first(world.platform.uow(world.system()), account, D("80.00"), "ADJ-1")
    assert flags(world, older, newer, other) == [False, False, True]

    # Migration 0027's backfill gives the same flags from what was written.
    spec = importlib.util.spec_from_file_location("m0027", MIGRATION)
    assert spec is not None and spec.loader is not None
    backfill = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(backfill)
    with world.platform.engine.begin() as conn:
        conn.execute(update(Bill.__table__).values(collection_open=True))
        sqlite = conn.dialect.name == "sqlite"
        conn.execute(
            text(
                backfill.BACKFILL.format(
                    true="1" if sqlite else "TRUE", false="0" if sqlite else "FALSE"
                )
            )
        )
    assert flags(world, older, newer, other) == [False, False, True]
