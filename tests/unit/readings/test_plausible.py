"""BILL-2: the plausible range of a reading from the meter's own history, and what makes
a reading abnormal (outlier, jump, zero, backwards)."""

from __future__ import annotations

from decimal import Decimal

from safegrid.readings.plausible import _band, judge, register_range


def test_bill_2_band_is_median_plus_minus_three_scaled_mads() -> None:
    band = _band([1000.0, 1100.0, 900.0, 1000.0, 3000.0], seasonal=True)  # one odd month
    assert band.median_c == 1000.0
    # MAD = 100 → 148.26 per "sigma"; the odd month does not widen the band (robust).
    assert round(band.low_c, 2) == round(1000 - 3 * 148.26, 2)
    assert round(band.high_c, 2) == round(1000 + 3 * 148.26, 2)
    steady = _band([500.0, 500.0, 500.0], seasonal=False)
    assert (steady.low_c, steady.high_c) == (350.0, 650.0)  # never narrower than 10 %


def test_bill_2_abnormal_kinds() -> None:
    band = _band([1000.0, 1100.0, 900.0], seasonal=True)  # about 10 kWh a day
    assert judge(band, Decimal("100"), 10, backwards=False) == []
    assert judge(band, Decimal("0"), 10, backwards=False) == ["zero"]
    assert judge(band, Decimal("600"), 10, backwards=False) == ["jump"]
    assert judge(band, Decimal("200"), 10, backwards=False) == ["outlier"]
    assert judge(band, Decimal("30"), 10, backwards=False) == ["outlier"]
    assert judge(band, None, 10, backwards=True) == ["backwards"]
    assert judge(None, Decimal("600"), 10, backwards=False) == []  # no history: no range
    assert register_range(band, Decimal("1000.00"), 10, 1) == (
        Decimal("1055.52"),
        Decimal("1144.48"),
    )
    assert register_range(band, Decimal("1000.00"), 10, 10) == (
        Decimal("1005.55"),
        Decimal("1014.45"),
    )
