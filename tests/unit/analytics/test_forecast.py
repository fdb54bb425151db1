"""ANA-2: the channel-independent linear forecaster and its evaluation protocol."""

from __future__ import annotations

import numpy as np
import pytest

from safegrid.analytics.forecast import LinearForecaster, choose, seasonal_naive, windows
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


def test_ana_2_choose_keeps_the_lowest_validation_error_single_or_averaged() -> None:
    series = _load(1400, channels=2)

    def split(lb: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # the same validation targets (hours 1000..) whatever the lookback
        return (*windows(series[:1000], lb, 24), *windows(series[1000 - lb : 1200], lb, 24))

    model, val_mse = choose(split, (48, 168), (1.0, 100.0))
    x_va, y_va = windows(series[1000 - 168 : 1200], 168, 24)
    # the reported score is the returned model's own on the validation windows
    assert np.isclose(val_mse, np.mean((model.predict(x_va) - y_va) ** 2))
    singles = []
    for lb in (48, 168):
        x, y, xv, yv = split(lb)
        singles += [
            np.mean((m.predict(xv) - yv) ** 2)
            for m in LinearForecaster.fit_path(x, y, (1.0, 100.0))
        ]
    assert val_mse <= min(singles) + 1e-12
    # an average reads each member's own tail of the window and means their forecasts
    short, long_ = (LinearForecaster.fit(*split(lb)[:2], alpha=1.0) for lb in (48, 168))
    both = LinearForecaster.average([short, long_])
    assert both.lookback == 168 and both.alphas == (1.0, 1.0)
    expected = (short.predict(x_va[:, -48:]) + long_.predict(x_va)) / 2
    assert np.allclose(both.predict(x_va), expected)


def test_ana_2_choose_refuses_lookbacks_scored_on_different_targets() -> None:
    series = _load(800, channels=1)

    def split(lb: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return (*windows(series[:500], lb, 24), *windows(series[500:], lb, 24))

    with pytest.raises(ValueError, match="same targets"):
        choose(split, (48, 96), (1.0,))
