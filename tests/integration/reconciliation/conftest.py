"""A small month of money for the reconciliation tests: a hall's cash of 2 Nov deposited as
one sum, three sandbox payments on 3 Nov (one channel day), a direct debit on 4 Nov, and the
province's collection account registered for statements."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from safegrid.payments.counter import settlement
from safegrid.payments.counter.schemas import DepositIn, DrawerCountIn, SafeIn
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.payments.ledger.models import PaymentChannel
from safegrid.payments.ledger.services import do_capture
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.reconciliation import writers
from safegrid.reconciliation.settings import get_recon_settings
from safegrid.reconciliation.statements import do_import_statements, do_register_bank_account
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.counter import fixed_day, make_desk
from tests.fixtures.world import Staff, World

D = Decimal
ACCOUNT = "3301000000001"
VOUCHER = "BOC-20261103-01"


@dataclasses.dataclass
class Month:
    world: World
    finance: Staff
    head: Staff
    fixed: clock.FixedClock

    def import_lines(self, lines: list[writers.Line], sid: str = "NOV-1") -> None:
        sheet = writers.Sheet(ACCOUNT, sid, D("1000.00"), lines)
        actor = self.world.actor(self.finance)
        do_import_statements(self.world.platform.uow(actor), "nov.xml", writers.camt053([sheet]))


@pytest.fixture(autouse=True)
def _file_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SAFEGRID_COUNTER_SLIP_DIR", str(tmp_path / "slips"))
    monkeypatch.setenv("SAFEGRID_RECON_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("SAFEGRID_RECON_REPORT_DIR", str(tmp_path / "reports"))
    get_counter_settings.cache_clear()
    get_recon_settings.cache_clear()
    yield
    get_counter_settings.cache_clear()
    get_recon_settings.cache_clear()


@pytest.fixture
def month(world: World, bills: Bills) -> Iterator[Month]:
    with fixed_day() as fixed:
        desk = make_desk(world, bills, fixed)
        acct, _ = desk.account(bill="500.00")
        for amount in ("100.00", "50.50"):
            desk.confirm(desk.pay(acct, amount))
        w = world
        s = settlement.do_count_drawer(
            w.platform.uow(w.actor(desk.cashier)),
            DrawerCountIn(
                cashier_id=desk.cashier.id, business_day=date(2026, 11, 2), counted_cash=D("150.50")
            ),
        )
        settlement.do_put_in_safe(
            w.platform.uow(w.actor(desk.checker)), s.id, SafeIn(bag_no="BAG-1")
        )
        fixed.advance(datetime(2026, 11, 3, 10, tzinfo=BUSINESS_TZ) - fixed.now())
        settlement.do_record_deposit(
            w.platform.uow(w.actor(desk.checker)),
            DepositIn(
                business_day=date(2026, 11, 2), bank_voucher=VOUCHER,
                depositor_a_id=desk.cashier.id, depositor_b_id=desk.checker.id,
            ),
        )  # fmt: skip
        account_id = bills.account("stationA")
        for n, amount in enumerate(("100.00", "200.00", "300.00")):
            do_capture(
                w.platform.uow(w.system()), account_id=account_id, amount=D(amount),
                channel=PaymentChannel.ONLINE_SANDBOX, idempotency_key=f"sbx-{n}",
            )  # fmt: skip
        fixed.advance(datetime(2026, 11, 4, 9, tzinfo=BUSINESS_TZ) - fixed.now())
        do_capture(
            w.platform.uow(w.system()), account_id=account_id, amount=D("80.00"),
            channel=PaymentChannel.BANK_DIRECT_DEBIT, idempotency_key="dd-1",
        )  # fmt: skip
        finance = world.staff(Post.FINANCE, "prov")
        head = world.staff(Post.DEPARTMENT_HEAD, "prov")
        do_register_bank_account(
            w.platform.uow(w.actor(finance)), account_no=ACCOUNT, bank_name="中国银行杭州分行",
            currency="CNY", org_unit_id=world.units["prov"],
        )  # fmt: skip
        fixed.advance(datetime(2026, 12, 1, 9, tzinfo=BUSINESS_TZ) - fixed.now())
        yield Month(world, finance, head, fixed)
