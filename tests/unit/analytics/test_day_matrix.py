"""ANA-1 day matrix (ADR 0040): however the readings arrive — in any order, or a population
larger than the memory given, read in several passes — every customer gets the same
features; a missing day is skipped, not read as a zero."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from safegrid.analytics import day_matrix, engines
from safegrid.analytics.daily_features import customer_features
from safegrid.analytics.theft.injection import PATTERNS, inject
from tests.fixtures.consumption import daily_frame


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    frame = daily_frame(customers=12, days=760, seed=5)
    ids = sorted(frame["customer"].unique())
    frame = inject(frame, dict(zip(ids, PATTERNS * 2, strict=False)), np.random.default_rng(2))
    # Customers leave on different days, and some days are missing.
    frame = frame[
        ~(
            (frame["customer"] == ids[0])
            & (frame["day"] > frame["day"].max() - pd.Timedelta(days=40))
        )
    ]
    return frame.drop(frame.sample(frac=0.02, random_state=4).index).reset_index(drop=True)


def _features(frame: pd.DataFrame, **kwargs: int) -> pd.DataFrame:
    table = engines.load(engines.connect("duckdb"), "daily", frame)
    return customer_features(table, **kwargs)


def test_ana_1_order_of_the_readings_does_not_matter(daily: pd.DataFrame) -> None:
    shuffled = daily.sample(frac=1.0, random_state=9).reset_index(drop=True)
    pd.testing.assert_frame_equal(_features(daily), _features(shuffled), rtol=1e-12)


def test_ana_1_a_population_over_the_memory_budget_is_read_in_parts(
    daily: pd.DataFrame,
) -> None:
    whole = _features(daily)
    table = engines.load(engines.connect("duckdb"), "daily", daily)
    span = (daily["day"].max() - daily["day"].min()).days + 1
    budget = 5 * span * 8  # about five customers' rows per pass
    parts = list(day_matrix.matrices(table, memory_bytes=budget))
    assert len(parts) == 3
    customers = [c for p in parts for c in p.customers]
    assert sorted(customers) == sorted(daily["customer"].unique())  # each in one part
    pd.testing.assert_frame_equal(whole, _features(daily, memory_bytes=budget), rtol=1e-12)
    assert list(whole.index) == sorted(daily["customer"].unique())


def test_ana_1_a_missing_day_is_skipped_not_read_as_zero() -> None:
    start = date(2012, 1, 1)
    days = [start + timedelta(days=i) for i in range(730)]
    steady = pd.DataFrame({"customer": "steady", "day": days, "kwh": 10.0})
    gappy = steady.assign(customer="gappy").drop(index=range(400, 420))
    feats = _features(pd.concat([steady, gappy], ignore_index=True))
    assert feats.loc["gappy", "days"] == 365 - 20
    assert feats.loc["gappy", "zero_days_c"] == 0
    assert feats.loc["gappy", "zero_run_c"] == 0
    assert feats.loc["gappy", "drop_c"] == pytest.approx(1.0)
