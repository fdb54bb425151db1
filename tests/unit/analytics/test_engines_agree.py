"""DESIGN "Analytics": one Ibis pipeline, two engines. The theft features computed on Spark
(local mode) equal those computed on DuckDB for the same input (ANA-1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from safegrid.analytics import engines
from safegrid.analytics.daily_features import customer_features
from safegrid.analytics.theft.injection import PATTERNS, inject
from tests.fixtures.consumption import daily_frame


def _on(backend: Any, daily: pd.DataFrame) -> pd.DataFrame:
    table = engines.load(backend, "daily", daily)
    return customer_features(table)


def test_ana_1_spark_and_duckdb_give_the_same_features(spark: Any) -> None:
    daily = daily_frame(customers=8, days=800, seed=11)
    # Every pattern once, so zero runs, flat spans and reversals are compared too.
    ids = sorted(daily["customer"].unique())
    daily = inject(daily, dict(zip(ids, PATTERNS, strict=False)), np.random.default_rng(1))
    on_duckdb = _on(engines.connect("duckdb"), daily)
    on_spark = _on(engines.connect("spark", spark=spark), daily)
    assert list(on_duckdb.index) == ids
    pd.testing.assert_frame_equal(on_duckdb, on_spark, check_exact=False, rtol=1e-9, atol=1e-9)
    # Every feature is compared on real values: the last 60 days of the flat-mean and the
    # zeroed customer are flat, so only their lag-1 autocorrelation there is unknown.
    assert on_duckdb.drop(columns=["ac1_r60"]).notna().all().all()
    assert on_duckdb["ac1_r60"].notna().sum() >= 6
