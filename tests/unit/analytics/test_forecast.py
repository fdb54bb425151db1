"""ANA-2: the channel-independent linear forecaster and its evaluation protocol."""

from __future__ import annotations

import numpy as np

from safegrid.analytics.forecast import LinearForecaster, seasonal_naive, windows
from safegrid.analytics.forecast_eval import TEST, TRAIN, VAL, evaluate_series


def _load(hours: int, channels: int = 3, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(hours)[:, None]
    daily = np.sin(2 * np.pi * t / 24) + 0.5 * np.sin(2 * np.pi * t / 168)
    trend = np.cumsum(rng.standard_normal((hours, channels)) * 0.02, axis=0)
    return (
        10
        + daily * np.arange(1, channels + 1)
        + trend
        + 0.2 * rng.standard_normal((hours, channels))
    )


def test_ana_2_windows_are_per_channel_rows() -> None:
    series = np.arange(20, dtype=float).reshape(10, 2)  # channel 0 even, channel 1 odd
    x, y = windows(series, lookback=3, horizon=2)
    assert x.shape == (6 * 2, 3) and y.shape == (6 * 2, 2)
    assert list(x[0]) == [0, 2, 4] and list(y[0]) == [6, 8]
    assert list(x[1]) == [1, 3, 5] and list(y[1]) == [7, 9]


def test_ana_2_linear_model_beats_seasonal_naive_and_intervals_cover() -> None:
    series = _load(3000)
    x, y = windows(series[:2000], 168, 24)
    xt, yt = windows(series[2000:], 168, 24)
    model = LinearForecaster.fit(x, y, alpha=10.0)
    model.calibrate(x, y)
    mse = np.mean((model.predict(xt) - yt) ** 2)
    assert mse < np.mean((seasonal_naive(xt, 24) - yt) ** 2)
    lo, hi = model.interval(xt, 0.8)
    coverage = np.mean((yt >= lo) & (yt <= hi))
    assert 0.7 < coverage < 0.9


def test_ana_2_protocol_splits_12_4_4_months_and_reports_both_methods() -> None:
    assert (TRAIN, VAL, TEST) == (8640, 2880, 2880)
    result = evaluate_series(
        _load(TRAIN + VAL + TEST), horizons=(24,), lookbacks=(96,), alphas=(10.0,)
    )
    row = result[24]
    assert row["windows"] == TEST - 24 + 1
    assert row["model"][0] < row["seasonal_naive"][0]
    assert row["model"][1] < row["seasonal_naive"][1] and row["lookback"] == 96
