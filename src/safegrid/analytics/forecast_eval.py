"""ANA-2 evaluation on ETTh1/ETTh2 (../shared/data/load) with the standard long-horizon
protocol of Informer / Autoformer / DLinear / PatchTST:

* split 12 / 4 / 4 months of hours (8,640 / 2,880 / 2,880 rows); validation and test
  windows start ``lookback`` hours before their region so every target hour is inside it;
* z-normalised per channel by the training rows' mean and std; errors in that space;
* multivariate: all seven channels (HUFL … OT) forecast, errors averaged over channels,
  windows (stride 1, every window of the test region) and steps;
* horizons 96 / 192 / 336 / 720; lookbacks 336 / 512 / 720, their averages and the ridge
  strengths chosen on validation only (forecast.choose).

The seasonal-naive baseline (the last 24 hours repeated) is computed in the same run; the
DLinear and PatchTST figures are quoted from their papers (numbers, not re-runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safegrid.analytics.forecast import Windows, choose, seasonal_naive, windows

HOURS_PER_MONTH = 30 * 24
TRAIN, VAL, TEST = 12 * HOURS_PER_MONTH, 4 * HOURS_PER_MONTH, 4 * HOURS_PER_MONTH
HORIZONS = (96, 192, 336, 720)
# Candidates, all judged on the validation windows only (forecast.choose): each lookback
# with its best ridge strength, and every average of two or three of them.
LOOKBACKS = (336, 512, 720)
ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0)

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

        def split(lb: int, h: int = h) -> Windows:
            # validation windows start ``lb`` hours before the region: same targets for all
            return (
                *windows(series[:TRAIN], lb, h),
                *windows(series[TRAIN - lb : TRAIN + VAL], lb, h),
            )

        model, val_mse = choose(split, lookbacks, alphas)
        lb = model.lookback
        x_te, y_te = windows(series[TRAIN + VAL - lb : TRAIN + VAL + TEST], lb, h)
        out[h] = {
            "lookback": lb,
            "lookbacks": [m.lookback for m in model.members],
            "alphas": list(model.alphas),
            "validation_mse": val_mse,
            "model": _errors(model.predict(x_te), y_te),
            "seasonal_naive": _errors(seasonal_naive(x_te, h), y_te),
            "windows": len(x_te) // series.shape[1],
        }
    return out


def evaluate(load_dir: Path, **kwargs: Any) -> dict[str, dict[int, dict[str, Any]]]:
    return {
        name: evaluate_series(load_ett(load_dir / f"{name}.csv"), **kwargs) for name in PUBLISHED
    }
