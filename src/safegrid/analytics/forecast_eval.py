"""ANA-2 evaluation on ETTh1/ETTh2 (../shared/data/load) with the standard long-horizon
protocol of Informer / Autoformer / DLinear / PatchTST:

* split 12 / 4 / 4 months of hours (8,640 / 2,880 / 2,880 rows); validation and test
  windows start ``lookback`` hours before their region so every target hour is inside it;
* z-normalised per channel by the training rows' mean and std; errors in that space;
* multivariate: all seven channels (HUFL … OT) forecast, errors averaged over channels,
  windows (stride 1, every window of the test region) and steps;
* horizons 96 / 192 / 336 / 720; lookback 336; ridge strength chosen on validation only.

The seasonal-naive baseline (the last 24 hours repeated) is computed in the same run; the
DLinear and PatchTST figures are quoted from their papers (numbers, not re-runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safegrid.analytics.forecast import LinearForecaster, seasonal_naive, windows

HOURS_PER_MONTH = 30 * 24
TRAIN, VAL, TEST = 12 * HOURS_PER_MONTH, 4 * HOURS_PER_MONTH, 4 * HOURS_PER_MONTH
HORIZONS = (96, 192, 336, 720)
# DLinear's lookback. 512 and 720 were also offered on ETTh1 and validation chose 336 at
# every horizon, so the default run spends its time on ridge strengths instead.
LOOKBACKS = (336,)
ALPHAS = (10.0, 100.0, 1000.0, 10000.0)

# (MSE, MAE), multivariate. DLinear: Zeng et al., "Are Transformers Effective for Time
# Series Forecasting?", AAAI 2023, Table 2 (lookback 336). PatchTST/64: Nie et al., "A
# Time Series is Worth 64 Words", ICLR 2023, Table 3 (lookback 512).
PUBLISHED: dict[str, dict[str, dict[int, tuple[float, float]]]] = {
    "ETTh1": {
        "DLinear": {
            96: (0.375, 0.399),
            192: (0.405, 0.416),
            336: (0.439, 0.443),
            720: (0.472, 0.490),
        },
        "PatchTST/64": {
            96: (0.370, 0.400),
            192: (0.413, 0.429),
            336: (0.422, 0.440),
            720: (0.447, 0.468),
        },
    },
    "ETTh2": {
        "DLinear": {
            96: (0.289, 0.353),
            192: (0.383, 0.418),
            336: (0.448, 0.465),
            720: (0.605, 0.551),
        },
        "PatchTST/64": {
            96: (0.274, 0.337),
            192: (0.341, 0.382),
            336: (0.329, 0.384),
            720: (0.379, 0.422),
        },
    },
}


def load_ett(path: Path) -> np.ndarray:
    frame = pd.read_csv(path)
    values: np.ndarray = frame.drop(columns=["date"]).to_numpy(dtype="float64")
    return values


def _errors(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    diff = pred - y
    return float(np.mean(diff**2)), float(np.mean(np.abs(diff)))


def evaluate_series(
    raw: np.ndarray,
    horizons: tuple[int, ...] = HORIZONS,
    lookbacks: tuple[int, ...] = LOOKBACKS,
    alphas: tuple[float, ...] = ALPHAS,
) -> dict[int, dict[str, Any]]:
    """Per horizon: the chosen lookback/alpha, and test (MSE, MAE) of the model and of
    seasonal naive. ``raw`` is (hours, channels) with at least 20 months of rows."""
    mean, std = raw[:TRAIN].mean(axis=0), raw[:TRAIN].std(axis=0)
    series = (raw - mean) / std
    out: dict[int, dict[str, Any]] = {}
    for h in horizons:
        best: tuple[float, int, float, LinearForecaster] | None = None
        for lb in lookbacks:
            x_tr, y_tr = windows(series[:TRAIN], lb, h)
            x_va, y_va = windows(series[TRAIN - lb : TRAIN + VAL], lb, h)
            for model in LinearForecaster.fit_path(x_tr, y_tr, alphas):
                mse = _errors(model.predict(x_va), y_va)[0]
                if best is None or mse < best[0]:
                    best = (mse, lb, model.alpha, model)
        assert best is not None
        _, lb, alpha, model = best
        test = series[TRAIN + VAL - lb : TRAIN + VAL + TEST]
        x_te, y_te = windows(test, lb, h)
        out[h] = {
            "lookback": lb,
            "alpha": alpha,
            "model": _errors(model.predict(x_te), y_te),
            "seasonal_naive": _errors(seasonal_naive(x_te, h), y_te),
            "windows": len(x_te) // series.shape[1],
        }
    return out


def evaluate(load_dir: Path, **kwargs: Any) -> dict[str, dict[int, dict[str, Any]]]:
    return {
        name: evaluate_series(load_ett(load_dir / f"{name}.csv"), **kwargs) for name in PUBLISHED
    }
