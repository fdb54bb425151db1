"""PAY-2: end of day — the drawer counted against confirmed receipts, the cash in the safe,
deposited by two people before 15:00 (Beijing) the next day or alerted, the scanned slip
stored with its hash, the bank voucher on every payment; any yuan traced both ways."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safegrid.alerts.models import Alert
from safegrid.payments.counter import deposit_slips, settlement
from safegrid.payments.counter import jobs as counter_jobs
from safegrid.payments.counter import trace as counter_trace
from safegrid.payments.counter.models import CounterMethod, DepositOverdue
from safegrid.payments.counter.schemas import (
    DepositIn,
    DepositOut,
    DrawerCountIn,
    ReceiptOut,
    SafeIn,
)
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.payments.ledger.models import Payment
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import World

D = Decimal


@pytest.fixture
def desk(world: World, bills: Bills) -> Iterator[Desk]:
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


DAY = date(2026, 11, 2)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def slip_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SAFEGRID_COUNTER_SLIP_DIR", str(tmp_path / "slips"))
    monkeypatch.setenv("SAFEGRID_COUNTER_SLIP_MAX_BYTES", "4096")
    get_counter_settings.cache_clear()
    yield tmp_path / "slips"
    get_counter_settings.cache_clear()


def alerts(world: World, kind: str = "deposit_late") -> list[Alert]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return list(uow.session.scalars(select(Alert).where(Alert.key_field == kind)).all())


def day_of_cash(desk: Desk) -> list[ReceiptOut]:
    """Two cash receipts and one card receipt, all confirmed."""
    acct, _ = desk.account(bill="500.00")
    rows = [
        desk.pay(acct, "100.00"),
        desk.pay(acct, "50.50"),
        desk.pay(acct, "30.00", method=CounterMethod.CARD, card_voucher="POS-778899"),
    ]
    return [desk.confirm(r) for r in rows]


def settle(desk: Desk, counted: str = "150.50") -> int:
    w = desk.world
    s = settlement.do_count_drawer(
        w.platform.uow(w.actor(desk.cashier)),
        DrawerCountIn(cashier_id=desk.cashier.id, business_day=DAY, counted_cash=D(counted)),
    )
    settlement.do_put_in_safe(
        w.platform.uow(w.actor(desk.checker)), s.id, SafeIn(bag_no="BAG-0001")
    )
    return s.id


def deposit(
    desk: Desk, at: datetime | None = None, voucher: str = "BOC-20261103-01", **kw: int
) -> DepositOut:
    w = desk.world
    data = DepositIn(
        business_day=DAY,
        bank_voucher=voucher,
        depositor_a_id=kw.get("a", desk.cashier.id),
        depositor_b_id=kw.get("b", desk.checker.id),
        deposited_at=at,
    )
    return settlement.do_record_deposit(w.platform.uow(w.actor(desk.checker)), data)


def test_pay_2_drawer_is_counted_against_confirmed_receipts_and_the_difference_kept(
    desk: Desk,
) -> None:
    w = desk.world
    acct, _ = desk.account()
    waiting = desk.pay(acct, "20.00")
    with pytest.raises(ConflictError) as err:  # the checker has not signed yet
        settlement.do_count_drawer(
            w.platform.uow(w.actor(desk.cashier)),
            DrawerCountIn(cashier_id=desk.cashier.id, business_day=DAY, counted_cash=D("20.00")),
        )
    assert waiting.receipt_no in err.value.message
    desk.confirm(waiting)
    day_of_cash(desk)
    s = settlement.do_count_drawer(
        w.platform.uow(w.actor(desk.cashier)),
        DrawerCountIn(cashier_id=desk.cashier.id, business_day=DAY, counted_cash=D("170.00")),
    )
    assert (s.receipt_count, s.expected_cash, s.expected_card) == (4, D("170.50"), D("30.00"))
    assert (s.counted_cash, s.difference) == (D("170.00"), D("-0.50"))
    with pytest.raises(ConflictError):
        settlement.do_count_drawer(
            w.platform.uow(w.actor(desk.cashier)),
            DrawerCountIn(cashier_id=desk.cashier.id, business_day=DAY, counted_cash=D("1.00")),
        )


def test_pay_2_deposit_by_two_people_before_1500_links_the_voucher_to_each_payment(
    desk: Desk,
) -> None:
    receipts = day_of_cash(desk)
    with pytest.raises(ConflictError):  # drawer not settled yet
        deposit(desk)
    settle(desk)
    desk.clock.advance(timedelta(days=1, hours=4, minutes=30))  # 11-03 14:30 Beijing
    with pytest.raises(ValidationProblem) as err:
        deposit(desk, a=desk.cashier.id, b=desk.cashier.id)
    assert err.value.field == "depositor_b_id"
    with pytest.raises(ValidationProblem) as err:
        deposit(desk, b=desk.world.staff(Post.CASHIER, "countyB").id)
    assert err.value.field == "depositor_b_id"
    done = deposit(desk)
    assert (done.amount, done.late, done.bank_voucher) == (D("150.50"), False, "BOC-20261103-01")
    assert {done.depositor_a_name, done.depositor_b_name} == {
        desk.cashier.username,
        desk.checker.username,
    }
    with desk.world.platform.uow(desk.world.system(), readonly=True) as uow:
        vouchers = [uow.session.get_one(Payment, r.payment_id).bank_voucher for r in receipts]
    assert vouchers == ["BOC-20261103-01", "BOC-20261103-01", "POS-778899"]
    assert alerts(desk.world) == []
    with pytest.raises(ConflictError):
        deposit(desk, voucher="BOC-OTHER")


def test_pay_2_deposit_after_1500_is_late_and_alerts_the_managers(desk: Desk) -> None:
    day_of_cash(desk)
    settle(desk)
    desk.clock.advance(timedelta(days=1, hours=5, minutes=1))  # 11-03 15:01 Beijing
    done = deposit(desk)
    assert done.late and done.deadline_at == datetime(2026, 11, 3, 15, 0, tzinfo=BUSINESS_TZ)
    [alert] = alerts(desk.world)
    assert (alert.object_type, alert.object_id) == ("bank_deposit", str(done.id))


def test_pay_2_job_flags_an_undeposited_day_after_1500_once(desk: Desk) -> None:
    w = desk.world
    day_of_cash(desk)
    desk.clock.advance(timedelta(days=1, hours=4, minutes=59))  # 11-03 14:59
    assert counter_jobs.do_flag_overdue(w.platform.uow(w.system())) == 0
    desk.clock.advance(timedelta(minutes=2))  # 15:01
    assert counter_jobs.do_flag_overdue(w.platform.uow(w.system())) == 1
    assert counter_jobs.do_flag_overdue(w.platform.uow(w.system())) == 0
    [alert] = alerts(w)
    assert alert.object_id == str(w.units["hallA"])
    with w.platform.uow(w.system(), readonly=True) as uow:
        flag = uow.session.scalars(select(DepositOverdue)).one()
    assert (flag.business_day, flag.amount) == (DAY, D("150.50"))


def test_pay_2_job_is_registered_in_the_platform_jobs() -> None:
    from safegrid.platform import jobs

    job = jobs.load()["payments.deposit_overdue"]
    assert job.schedule == "5 15 * * *"


def test_pay_2_slip_is_checked_by_magic_bytes_and_size_stored_with_its_hash_never_overwritten(
    desk: Desk, slip_dir: Path
) -> None:
    w = desk.world
    day_of_cash(desk)
    settle(desk)
    dep = deposit(desk)
    up = w.platform.uow(w.actor(desk.checker))
    for bad in (b"GIF89a....", b"", b"%PDF-" + b"x" * 5000):
        with pytest.raises(ValidationProblem) as err:
            deposit_slips.do_upload_slip(up, dep.id, bad)
        assert err.value.field == "slip"
    done = deposit_slips.do_upload_slip(w.platform.uow(w.actor(desk.checker)), dep.id, PNG)
    assert (
        done.slip_sha256 == hashlib.sha256(PNG).hexdigest() and done.slip_media_type == "image/png"
    )
    [stored] = list(slip_dir.rglob("*.png"))
    assert stored.read_bytes() == PNG
    with pytest.raises(ConflictError):
        deposit_slips.do_upload_slip(
            w.platform.uow(w.actor(desk.checker)), dep.id, b"%PDF-1.7 other"
        )
    assert stored.read_bytes() == PNG
    slip = deposit_slips.read_slip(w.platform.uow(w.actor(desk.cashier), readonly=True), dep.id)
    assert slip.content == PNG
    stored.write_bytes(PNG + b"tampered")
    with pytest.raises(ConflictError):
        deposit_slips.read_slip(w.platform.uow(w.actor(desk.cashier), readonly=True), dep.id)


def test_pay_2_trace_from_receipt_to_bank_voucher_and_back(desk: Desk) -> None:
    w = desk.world
    receipts = day_of_cash(desk)
    settle(desk)
    dep = deposit(desk)
    deposit_slips.do_upload_slip(w.platform.uow(w.actor(desk.checker)), dep.id, PNG)
    auditor = w.actor(w.staff(Post.AUDITOR, "cityA"))
    t = counter_trace.trace_receipt(
        w.platform.uow(auditor, readonly=True), receipt_no=receipts[0].receipt_no.lower()
    )
    assert (t.receipt.cashier_name, t.receipt.checker_name) == (
        desk.cashier.username,
        desk.checker.username,
    )
    assert t.settlement is not None and t.settlement.safe_bag_no == "BAG-0001"
    assert t.deposit is not None and t.deposit.slip_sha256 == hashlib.sha256(PNG).hexdigest()
    assert t.bank_voucher == "BOC-20261103-01"
    by_payment = counter_trace.trace_receipt(
        w.platform.uow(auditor, readonly=True), payment_id=receipts[1].payment_id
    )
    assert by_payment.receipt.receipt_no == receipts[1].receipt_no
    back = counter_trace.trace_voucher(w.platform.uow(auditor, readonly=True), "boc-20261103-01")
    assert [r.receipt_no for r in back.receipts] == [r.receipt_no for r in receipts[:2]]
    assert back.total == D("150.50")
    other_area = w.actor(w.staff(Post.AUDITOR, "cityB"))
    with pytest.raises(NotFoundError):
        counter_trace.trace_receipt(
            w.platform.uow(other_area, readonly=True), receipt_no=receipts[0].receipt_no
        )
    with w.platform.uow(w.system(), readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Payment)) == 3
