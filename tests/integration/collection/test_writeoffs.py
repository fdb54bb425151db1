"""BILL-5: the write-off (销账) service the payments issue calls — idempotent on its
reference, never more than outstanding, oldest bills first, reversals cancel originals."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from safegrid.billing.models import BillKind
from safegrid.collection import balances as bal
from safegrid.collection.models import CollectionPosting, WriteOff, WriteOffKind
from safegrid.collection.writeoffs import (
    do_apply_reversal,
    do_write_off,
    do_write_off_oldest_first,
)
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

D = Decimal


def outstanding(world: World, bill_id: int) -> Decimal:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return bal.yuan(bal.balances(uow.session, [bill_id])[bill_id].outstanding_fen)


def test_bill_5_write_off_applies_at_most_the_outstanding_amount(
    world: World, bills: Bills
) -> None:
    bill = bills.bill(bills.account(), "120.50")
    first = do_write_off(world.platform.uow(world.system()), bill, D("100.00"), "PAY-1")
    assert (first.applied, first.remainder, first.replayed) == (D("100.00"), D("0.00"), False)
    second = do_write_off(world.platform.uow(world.system()), bill, D("50.00"), "PAY-2")
    assert (second.applied, second.remainder) == (D("20.50"), D("29.50"))
    assert outstanding(world, bill) == D("0.00")
    third = do_write_off(world.platform.uow(world.system()), bill, D("5.00"), "PAY-3")
    assert (third.applied, third.remainder, third.bill_ids) == (D("0.00"), D("5.00"), [])


def test_bill_5_repeated_reference_returns_first_result_and_changes_nothing(
    world: World, bills: Bills
) -> None:
    bill = bills.bill(bills.account(), "80.00")
    first = do_write_off(world.platform.uow(world.system()), bill, D("30.00"), "PAY-X")
    again = do_write_off(world.platform.uow(world.system()), bill, D("30.00"), "PAY-X")
    assert again.replayed and (again.applied, again.remainder) == (first.applied, first.remainder)
    assert outstanding(world, bill) == D("50.00")
    other = bills.bill(bills.account(), "10.00")
    with pytest.raises(ConflictError) as err:
        do_write_off(world.platform.uow(world.system()), other, D("30.00"), "PAY-X")
    assert err.value.field == "reference"


def test_bill_5_bad_input_is_refused_with_the_field_named(world: World, bills: Bills) -> None:
    bill = bills.bill(bills.account(), "80.00")
    uow = world.platform.uow(world.system())
    for amount in (D("-1.00"), D("0"), D("1.005")):
        with pytest.raises(ValidationProblem) as err:
            do_write_off(uow, bill, amount, "PAY-BAD")
        assert err.value.field == "amount"
    with pytest.raises(NotFoundError):
        do_write_off(uow, 999_999, D("1.00"), "PAY-404")
    with world.platform.uow(world.system(), readonly=True) as r:
        assert r.session.scalar(select(func.count()).select_from(CollectionPosting)) == 0


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    calls=st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 6000).map(lambda f: D(f) / 100)),
        min_size=1,
        max_size=8,
    )
)
def test_bill_5_interleaved_calls_with_a_reference_never_double_apply(
    world: World, bills: Bills, calls: list[tuple[int, Decimal]]
) -> None:
    account = bills.account()
    bill = bills.bill(account, "100.00")
    run = uuid.uuid4().hex[:8]
    first_result: dict[int, Decimal] = {}
    for ref, amount in calls:
        result = do_write_off(world.platform.uow(world.system()), bill, amount, f"{run}-{ref}")
        # The first call with a reference fixes its result; later calls repeat it.
        first_result.setdefault(ref, result.applied)
        assert result.applied == first_result[ref]
        if not result.replayed:
            assert result.applied + result.remainder == amount
    assert outstanding(world, bill) == D("100.00") - sum(first_result.values())
    assert outstanding(world, bill) >= 0


def test_bill_5_concurrent_calls_with_one_reference_apply_once(world: World, bills: Bills) -> None:
    bill = bills.bill(bills.account(), "100.00")
    results = []

    def pay() -> None:
        results.append(do_write_off(world.platform.uow(world.system()), bill, D("40.00"), "PAY-C"))

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.replayed for r in results) == [False, True, True, True]
    assert outstanding(world, bill) == D("60.00")


def test_bill_5_oldest_first_distribution(world: World, bills: Bills) -> None:
    from datetime import date

    account = bills.account()
    newer = bills.bill(account, "30.00", period="2026-09", due=date(2026, 10, 25))
    older = bills.bill(account, "50.00", period="2026-08", due=date(2026, 9, 25))
    newest = bills.bill(account, "40.00", period="2026-10", due=date(2026, 11, 25))
    result = do_write_off_oldest_first(
        world.platform.uow(world.system()), account, D("70.00"), "PAY-OLD"
    )
    assert result.bill_ids == [older, newer]
    assert (result.applied, result.remainder) == (D("70.00"), D("0.00"))
    assert [outstanding(world, b) for b in (older, newer, newest)] == [
        D("0.00"),
        D("10.00"),
        D("40.00"),
    ]
    more = do_write_off_oldest_first(
        world.platform.uow(world.system()), account, D("100.00"), "PAY-OLD2"
    )
    assert (more.applied, more.remainder, more.bill_ids) == (
        D("50.00"),
        D("50.00"),
        [newer, newest],
    )
    replay = do_write_off_oldest_first(
        world.platform.uow(world.system()), account, D("100.00"), "PAY-OLD2"
    )
    assert replay.replayed and replay.bill_ids == [newer, newest]
    with world.platform.uow(world.system(), readonly=True) as uow:
        refs = uow.session.scalars(select(WriteOff.reference).order_by(WriteOff.id)).all()
    assert refs == [
        f"PAY-OLD#{older}",
        f"PAY-OLD#{newer}",
        f"PAY-OLD2#{newer}",
        f"PAY-OLD2#{newest}",
    ]


def test_bill_5_a_reversal_bill_cancels_what_its_original_owes(world: World, bills: Bills) -> None:
    account = bills.account()
    original = bills.bill(account, "90.00")
    do_write_off(world.platform.uow(world.system()), original, D("20.00"), "PAY-R")
    reversal = bills.bill(account, "-90.00", kind=BillKind.REVERSAL, reverses=original)
    result = do_apply_reversal(world.platform.uow(world.system()), reversal)
    assert (result.applied, result.bill_ids) == (D("70.00"), [original])
    assert outstanding(world, original) == D("0.00")
    assert do_apply_reversal(world.platform.uow(world.system()), reversal).replayed
    with world.platform.uow(world.system(), readonly=True) as uow:
        kinds = uow.session.scalars(select(WriteOff.kind).order_by(WriteOff.id)).all()
    assert kinds == [WriteOffKind.PAYMENT, WriteOffKind.REVERSAL]
