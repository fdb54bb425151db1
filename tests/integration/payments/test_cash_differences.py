"""PAY-2 at the checker's desk (issue 13): a counted amount that differs from the receipt
stays on the checker's row and, once the checker records it, becomes a cash shortage or
overage (长短款) the cashier acknowledges, shown on the day's settlement. Depositors
offered are only staff of the hall whose post deposits cash."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safegrid.payments.counter import queries as counter_queries
from safegrid.payments.counter.models import CounterMethod, CounterReceipt, ReceiptStatus
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.payments.counter.shortages import CashDiscrepancy
from safegrid.platform.errors import ValidationProblem
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from safegrid.web.payments import counter as counter_pages
from safegrid.web.payments.todo import differences_to_acknowledge
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import World
from tests.integration.payments.test_counter_console import client_of


@pytest.fixture
def desk(
    world: World, bills: Bills, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    monkeypatch.setenv("SAFEGRID_COUNTER_SLIP_DIR", str(tmp_path / "slips"))
    get_counter_settings.cache_clear()
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)
    get_counter_settings.cache_clear()


def test_pay_2_counted_mismatch_becomes_a_shortage_the_cashier_acknowledges(desk: Desk) -> None:
    acct, _ = desk.account()
    receipt = desk.pay(acct, "50.00")
    checker = client_of(desk, desk.checker)
    url = f"/counter/receipts/{receipt.id}/confirm"
    page = checker.post(url, data={"counted": "48.00"})
    # No error page: the checker's screen, with the row, the figure and the choice.
    assert page.status_code == 422
    assert f'data-testid="count-problem-{receipt.receipt_no}"' in page.text
    assert 'value="48.00"' in page.text and "记为长短款" in page.text
    done = checker.post(
        url, data={"counted": "48.00", "record_difference": "1"}, follow_redirects=False
    )
    assert done.status_code == 303
    w = desk.world
    with w.platform.engine.connect() as conn:
        row = conn.execute(select(CashDiscrepancy)).one()
        status = conn.execute(
            select(CounterReceipt.status).where(CounterReceipt.id == receipt.id)
        ).scalar_one()
        audited = conn.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "counter.cash_discrepancy")
        ).scalar_one()
    assert (str(row.amount), row.cashier_id, row.checker_id) == (
        "-2.00",
        desk.cashier.id,
        desk.checker.id,
    )
    assert status == ReceiptStatus.CONFIRMED and audited == 1

    settlement = checker.get(f"/counter/settlement?day={receipt.business_day}")
    assert 'data-testid="differences"' in settlement.text and "-2.00" in settlement.text
    assert "短款" in settlement.text
    # Only the cashier acknowledges, once.
    ack = f"/counter/discrepancies/{row.id}/acknowledge"
    assert checker.post(ack, data={"note": "x"}).status_code == 403
    cashier = client_of(desk, desk.cashier)
    assert f'data-testid="acknowledge-{receipt.receipt_no}"' in cashier.get("/counter/desk").text
    mine = w.platform.uow(w.actor(desk.cashier))
    assert differences_to_acknowledge(mine).count == 1
    assert cashier.post(ack, data={"note": "少找 2 元"}, follow_redirects=False).status_code == 303
    assert cashier.post(ack, data={}).status_code == 409
    assert 'data-testid="differences"' not in cashier.get("/counter/desk").text
    assert differences_to_acknowledge(w.platform.uow(w.actor(desk.cashier))).count == 0

    # Depositors offered: staff of the hall whose post deposits cash, not a meter reader.
    reader = w.staff(Post.METER_READER, "countyA")
    halls = counter_queries.my_halls(w.platform.uow(w.actor(desk.checker)))
    choices = counter_queries.hall_staff_choices(w.platform.uow(w.actor(desk.checker)), halls[0].id)
    ids = {i for i, _, _ in choices}
    assert {desk.cashier.id, desk.checker.id} <= ids and reader.id not in ids


def test_pay_1_change_given_and_my_receipts_paged_with_count_and_sum(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counter_pages, "RECEIPTS_PER_PAGE", 2)
    acct, _ = desk.account(bill="300.00")
    receipt = desk.pay(acct, "75.30", tendered=Decimal("100.00"))
    assert (receipt.tendered, receipt.change) == (Decimal("100.00"), Decimal("24.70"))
    page = client_of(desk, desk.cashier).get(f"/counter/receipts/{receipt.id}")
    assert 'data-testid="receipt-change">24.70<' in page.text and "找零" in page.text
    with pytest.raises(ValidationProblem) as short:
        desk.pay(acct, "75.30", tendered=Decimal("70.00"))
    assert short.value.field == "tendered"
    with pytest.raises(ValidationProblem) as card:
        desk.pay(
            acct, "75.30", method=CounterMethod.CARD, card_voucher="POS-1", tendered=Decimal("80")
        )
    assert card.value.field == "tendered"
    first = receipt  # then two more: three receipts of the day on two pages
    for amount in ("20.00", "30.00"):
        desk.pay(acct, amount)
    cashier = client_of(desk, desk.cashier)
    page = cashier.get("/counter/desk")
    assert "共 3 张收据" in page.text and "125.30" in page.text  # the sum of every page
    assert first.receipt_no not in page.text and "page=2" in page.text
    assert first.receipt_no in cashier.get("/counter/desk?page=2").text
