"""BILL-7 退补: a corrected reading in March moves the annual tier position of every later
month; re-pricing reverses and re-bills March..May, and June's bill shows the differences.

Zhejiang residential tariff (ZJ-RES): 0.538 yuan/kWh, tier 1 up to 2760 kWh a year, tier 2
up to 4800 at +0.05 (0.588), tier 3 above at +0.30 (0.838).
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from safegrid.billing import queries
from safegrid.billing.models import Bill, BillAdjustment, BillKind
from safegrid.billing.reprice import do_reprice_bills
from safegrid.billing.services import do_run_bills
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.billing import (
    SYSTEM,
    bill_months,
    billed_resident,
    correct_usage,
    issued_bills,
    seed_tariffs,
    set_period,
    set_usage,
)
from tests.fixtures.world import World

D = Decimal
REASON = "3月抄表错误，更正为900 / March misread, corrected to 900"


def _count(world: World, model: type) -> int:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def _reprice(world: World, numbers: list[str], since: str = "2026-03") -> object:
    return do_reprice_bills(world.platform.uow(SYSTEM), numbers, since, REASON)


def test_bill_7_a_corrected_month_reprices_every_later_month_of_the_tier_year(
    world: World,
) -> None:
    seed_tariffs(world)
    number, account, meter = billed_resident(world)
    other, other_id, _ = billed_resident(world)
    bill_months(world)
    before = issued_bills(world, account)
    other_before = {p: b.id for p, b in issued_bills(world, other_id).items()}
    assert {p: b.amount for p, b in before.items()} == {
        "2026-01": D("322.80"),  # 600 × 0.538
        "2026-02": D("376.60"),
        "2026-03": D("269.00"),  # 500 × 0.538, kWh 1301..1800 of the year
        "2026-04": D("430.40"),  # kWh 1801..2600, still tier 1
        "2026-05": D("168.40"),  # 160 × 0.538 + 140 × 0.588: crosses into tier 2
    }

    correct_usage(world, meter, "2026-03", "900")
    result = _reprice(world, [number, other])

    after = issued_bills(world, account)
    assert {p: b.amount for p, b in after.items()} == {
        "2026-01": D("322.80"),  # before the correction: untouched
        "2026-02": D("376.60"),
        "2026-03": D("484.20"),  # 900 × 0.538 (kWh 1301..2200)
        "2026-04": D("442.40"),  # 560 × 0.538 + 240 × 0.588: now April crosses
        "2026-05": D("176.40"),  # 300 × 0.588, all tier 2
    }
    assert after["2026-04"].tier_prior_kwh == D("2200")
    assert after["2026-05"].tier_prior_kwh == D("3000")
    for period in ("2026-03", "2026-04", "2026-05"):
        assert after[period].id != before[period].id
    assert after["2026-02"].id == before["2026-02"].id
    # The other account had no correction: priced again, it costs the same, so stays.
    assert {p: b.id for p, b in issued_bills(world, other_id).items()} == other_before
    assert [
        (a.period, a.original_amount, a.repriced_amount, a.difference) for a in result.adjustments
    ] == [  # type: ignore[attr-defined]
        ("2026-03", D("269.00"), D("484.20"), D("215.20")),
        ("2026-04", D("430.40"), D("442.40"), D("12.00")),
        ("2026-05", D("168.40"), D("176.40"), D("8.00")),
    ]
    assert result.difference == D("235.20")  # type: ignore[attr-defined]
    assert {a.account_id for a in result.adjustments} == {account}  # type: ignore[attr-defined]
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        reversals = uow.session.scalars(
            select(Bill).where(Bill.account_id == account, Bill.kind == BillKind.REVERSAL)
        ).all()
        assert sorted((r.period, r.amount) for r in reversals) == [
            ("2026-03", D("-269.00")),
            ("2026-04", D("-430.40")),
            ("2026-05", D("-168.40")),
        ]
        assert all(r.reason == REASON for r in reversals)
        entries = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "billing.reprice")
        ).all()
        assert [(e.object_type, e.object_id) for e in entries] == [("account", str(account))]


def test_bill_7_running_the_same_correction_twice_changes_nothing(world: World) -> None:
    seed_tariffs(world)
    number, account, meter = billed_resident(world)
    bill_months(world)
    correct_usage(world, meter, "2026-03", "900")
    first = _reprice(world, [number])
    assert len(first.adjustments) == 3  # type: ignore[attr-defined]
    bills, adjustments, audit = (
        _count(world, Bill),
        _count(world, BillAdjustment),
        _count(world, AuditEntry),
    )
    issued = {p: b.id for p, b in issued_bills(world, account).items()}

    again = _reprice(world, [number])

    assert again.adjustments == []  # type: ignore[attr-defined]
    assert again.difference == D("0.00")  # type: ignore[attr-defined]
    assert (_count(world, Bill), _count(world, BillAdjustment), _count(world, AuditEntry)) == (
        bills,
        adjustments,
        audit,
    )
    assert {p: b.id for p, b in issued_bills(world, account).items()} == issued


def test_bill_7_no_correction_means_nothing_to_reprice(world: World) -> None:
    seed_tariffs(world)
    number, _, _ = billed_resident(world)
    bill_months(world)
    bills = _count(world, Bill)
    assert _reprice(world, [number], "2026-01").adjustments == []  # type: ignore[attr-defined]
    assert _count(world, Bill) == bills


def test_bill_7_refused_for_a_month_not_yet_billed(world: World) -> None:
    seed_tariffs(world)
    number, account, meter = billed_resident(world)
    bill_months(world)
    set_usage(world, meter, account, "2026-06", "250")
    set_period(world, "2026-06")  # closed, but no run yet
    bills, audit = _count(world, Bill), _count(world, AuditEntry)
    with pytest.raises(ValidationProblem) as refused:
        _reprice(world, [number], "2026-06")
    assert refused.value.field == "from_period"
    assert "2026-06" in refused.value.message and number in refused.value.message
    with pytest.raises(ValidationProblem):
        _reprice(world, [number], "2026-13")
    assert (_count(world, Bill), _count(world, AuditEntry)) == (bills, audit)


def test_bill_7_one_unbilled_account_refuses_the_whole_batch(world: World) -> None:
    seed_tariffs(world)
    number, _, meter = billed_resident(world)
    bill_months(world)
    late, _, _ = billed_resident(world)  # its usage came after the runs: never billed
    correct_usage(world, meter, "2026-03", "900")
    bills = _count(world, Bill)
    with pytest.raises(ValidationProblem) as refused:
        _reprice(world, [number, late])
    assert late in refused.value.message and number not in refused.value.message
    assert _count(world, Bill) == bills  # nothing half-written


def test_bill_7_accounts_outside_the_scope_are_not_found(world: World) -> None:
    seed_tariffs(world)
    number, _, meter = billed_resident(world, "stationB")
    bill_months(world)
    correct_usage(world, meter, "2026-03", "900")
    finance_a = world.actor(world.staff(Post.FINANCE, "countyA"))
    with pytest.raises(NotFoundError):
        do_reprice_bills(world.platform.uow(finance_a), [number], "2026-03", REASON)


def test_bill_7_the_next_bill_shows_the_adjustments_line_by_line(world: World) -> None:
    seed_tariffs(world)
    number, account, meter = billed_resident(world)
    bill_months(world)
    correct_usage(world, meter, "2026-03", "900")
    _reprice(world, [number])
    set_usage(world, meter, account, "2026-06", "250")
    set_period(world, "2026-06")
    do_run_bills(world.platform.uow(SYSTEM), "2026-06")

    june = issued_bills(world, account)["2026-06"]
    detail = queries.get_bill(world.platform.uow(SYSTEM, readonly=True), june.id)
    assert detail.amount == D("147.00")  # 250 × 0.588: the year is past 3300 kWh now
    assert [
        (a.period, a.original_amount, a.repriced_amount, a.difference) for a in detail.adjustments
    ] == [
        ("2026-03", D("269.00"), D("484.20"), D("215.20")),
        ("2026-04", D("430.40"), D("442.40"), D("12.00")),
        ("2026-05", D("168.40"), D("176.40"), D("8.00")),
    ]
    # A re-issued month names the bill it replaces; a later run shows nothing twice.
    may = queries.get_bill(
        world.platform.uow(SYSTEM, readonly=True), issued_bills(world, account)["2026-05"].id
    )
    assert may.repriced is not None and may.repriced.difference == D("8.00")
    assert may.adjustments == []


def test_bill_7_concurrent_corrections_of_one_account_reprice_once(world: World) -> None:
    """Four clerks re-price the same correction at once (and one from a later month): the
    months are reversed and re-billed once, nobody gets an error."""
    seed_tariffs(world)
    number, account, meter = billed_resident(world)
    bill_months(world)
    correct_usage(world, meter, "2026-03", "900")
    barrier = threading.Barrier(5)
    outcomes: list[object] = []

    def clerk(since: str) -> None:
        barrier.wait()
        try:
            outcomes.append(_reprice(world, [number], since))
        except Exception as exc:  # any error is a failure of the test
            outcomes.append(exc)

    threads = [
        threading.Thread(target=clerk, args=(since,))
        for since in ("2026-03", "2026-03", "2026-03", "2026-03", "2026-04")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert len(outcomes) == 5
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        adjustments = uow.session.scalars(select(BillAdjustment)).all()
        reversals = uow.session.scalar(
            select(func.count()).select_from(Bill).where(Bill.kind == BillKind.REVERSAL)
        )
    # March must be re-priced by someone from March; April and May by whoever came first.
    assert sorted(a.period for a in adjustments) == ["2026-03", "2026-04", "2026-05"]
    assert sum(a.difference for a in adjustments) == D("235.20")
    assert reversals == 3
    assert {p: b.amount for p, b in issued_bills(world, account).items()}["2026-05"] == D("176.40")
