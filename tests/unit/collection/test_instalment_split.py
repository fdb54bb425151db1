"""BILL-5: instalment amounts are whole fen and sum exactly to the amount split."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from safegrid.collection.instalments import split


def test_bill_5_instalments_put_the_remainder_on_the_last() -> None:
    assert split(Decimal("100.00"), 3) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert split(Decimal("0.05"), 2) == [Decimal("0.02"), Decimal("0.03")]


@given(
    total_fen=st.integers(min_value=1, max_value=10**12),
    count=st.integers(min_value=1, max_value=24),
)
def test_bill_5_instalments_sum_exactly_to_the_total(total_fen: int, count: int) -> None:
    total = Decimal(total_fen) / 100
    parts = split(total, count)
    assert len(parts) == count
    assert sum(parts) == total
    assert all(p == p.quantize(Decimal("0.01")) for p in parts)
    assert max(parts) - min(parts) < Decimal(count) / 100 + Decimal("0.01")
