"""REC-2: bank-card (POS) payments at the counter are compared the way the acquirer pays them:
a hall's day of card slips as one sum against the acquirer's one credit on the statement.
A credit short by a fee carries no reference of ours, so both sides surface red (each with
a case) rather than being paired by a guess."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from safegrid.payments.counter.models import CounterMethod
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.reconciliation import writers
from safegrid.reconciliation.matching import do_run_month
from safegrid.reconciliation.models import Colour, MatchItem
from safegrid.reconciliation.statements import do_import_statements, do_register_bank_account
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.counter import fixed_day, make_desk
from tests.fixtures.world import World

D = Decimal
ACCOUNT = "3301000000009"


def test_rec_2_a_halls_card_day_matches_the_acquirers_one_credit(
    world: World, bills: Bills
) -> None:
    w = world
    finance = w.staff(Post.FINANCE, "prov")
    with fixed_day() as fixed:  # 2 Nov 2026
        desk = make_desk(w, bills, fixed)
        acct, _ = desk.account(bill="500.00")
        for n, amount in enumerate(("100.00", "50.25")):
            desk.pay(acct, amount, method=CounterMethod.CARD, card_voucher=f"SLIP-{n}")
        fixed.advance(datetime(2026, 11, 3, 10, tzinfo=BUSINESS_TZ) - fixed.now())
        desk.pay(acct, "80.00", method=CounterMethod.CARD, card_voucher="SLIP-9")
        do_register_bank_account(
            w.platform.uow(w.actor(finance)), account_no=ACCOUNT, bank_name="银联商务结算户",
            currency="CNY", org_unit_id=w.units["prov"],
        )  # fmt: skip
        # The acquirer's credits carry its own batch numbers, not the slips.
        sheet = writers.Sheet(ACCOUNT, "CARD-1", D("0.00"), [
            writers.Line(D("150.25"), date(2026, 11, 3), "UMS-B-1102", "银联商务 11-02 结算"),
            writers.Line(D("79.60"), date(2026, 11, 4), "UMS-B-1103", "银联商务 11-03 结算"),
        ])  # fmt: skip
        do_import_statements(w.platform.uow(w.actor(finance)), "c.xml", writers.camt053([sheet]))
        fixed.advance(datetime(2026, 12, 1, 9, tzinfo=BUSINESS_TZ) - fixed.now())
        do_run_month(w.platform.uow(w.actor(finance)), "2026-11")
    with w.platform.uow(w.system(), readonly=True) as uow:
        items = uow.session.scalars(
            select(MatchItem).where(MatchItem.system_kind == "card_day").order_by(MatchItem.day)
        ).all()
        stray = uow.session.scalars(
            select(MatchItem).where(MatchItem.rule == "missing_in_system")
        ).all()
    assert [(i.day, i.system_count, i.system_amount) for i in items] == [
        (date(2026, 11, 2), 2, D("150.25")),
        (date(2026, 11, 3), 1, D("80.00")),
    ]
    first, second = items
    assert first.colour == Colour.GREEN and first.rule == "amount_date"
    assert first.system_ref is not None and first.system_ref.startswith("POS-")
    assert first.system_ref.endswith("-20261102")
    assert second.colour == Colour.RED and second.rule == "missing_at_bank"
    assert [(s.bank_amount, s.colour) for s in stray] == [(D("79.60"), Colour.RED)]
