"""ANA-2 load forecasting: a channel-independent linear model with per-window (RevIN-style)
normalisation, fitted in closed form (ridge).

Each channel's last ``lookback`` values are normalised by their own mean and standard
deviation, one linear map shared by all channels turns them into the next ``horizon``
values, and the window's statistics are put back. It is DLinear's recipe without its
trend/seasonal split (a linear map can learn that split itself) and fitted exactly
instead of by SGD, so it trains in a second on a CPU. A forecaster may average several
such maps over different lookbacks; ``choose`` decides which, and each map's ridge
strength, on validation windows only. Prediction intervals come from the
quantiles of the absolute normalised residuals on data the fit did not see (split
conformal prediction).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import numpy as np

# A window whose channel barely moves (a stuck sensor, a vacant house) has a std near
# zero: dividing by it would blow its target up by orders of magnitude and let a few such
# windows steer the fit. The std is floored, and such windows are left out of the fit.
MIN_STD = 0.05


def windows(
    series: np.ndarray, lookback: int, horizon: int, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Every (input, target) window of a (time, channels) array, channels flattened into
    rows: shapes (n·channels, lookback) and (n·channels, horizon)."""
    t = series.shape[0]
    starts = np.arange(0, t - lookback - horizon + 1, stride)
    idx_x = starts[:, None] + np.arange(lookback)[None, :]
    idx_y = starts[:, None] + lookback + np.arange(horizon)[None, :]
    x = series[idx_x].transpose(0, 2, 1).reshape(-1, lookback)
    y = series[idx_y].transpose(0, 2, 1).reshape(-1, horizon)
    return x, y


def _normalise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = x.mean(axis=1, keepdims=True)
    std = np.maximum(x.std(axis=1, keepdims=True), MIN_STD * (np.abs(mean) + 1.0))
    return (x - mean) / std, mean, std


@dataclasses.dataclass(frozen=True)
class RidgeMap:
    """One closed-form linear map from the last ``lookback`` normalised values to the
    next ``horizon``."""

    lookback: int
    alpha: float
    weights: np.ndarray  # (lookback + 1, horizon), last row the bias

    def predict(self, x: np.ndarray) -> np.ndarray:
        xn, mean, std = _normalise(x[:, -self.lookback :])
        out: np.ndarray = (np.hstack([xn, np.ones((len(xn), 1))]) @ self.weights) * std + mean
        return out


@dataclasses.dataclass
class LinearForecaster:
    """The mean of one or more ridge maps over different lookbacks (one map is the usual
    case): averaging maps that read different spans of the past cuts their variance."""

    horizon: int
    members: tuple[RidgeMap, ...]
    residual_quantiles: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    @property
    def lookback(self) -> int:
        """The input width ``predict`` needs: the longest member's."""
        return max(m.lookback for m in self.members)

    @property
    def alphas(self) -> tuple[float, ...]:
        return tuple(m.alpha for m in self.members)

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, alpha: float) -> LinearForecaster:
        return cls.fit_path(x, y, (alpha,))[0]

    @classmethod
    def fit_path(
        cls, x: np.ndarray, y: np.ndarray, alphas: tuple[float, ...]
    ) -> list[LinearForecaster]:
        """One single-map model per ridge strength; the normal equations are built once."""
        moving = x.std(axis=1) >= MIN_STD * (np.abs(x.mean(axis=1)) + 1.0)
        xn, mean, std = _normalise(x[moving])
        yn = (y[moving] - mean) / std
        design = np.hstack([xn, np.ones((len(xn), 1))])
        gram, rhs = design.T @ design, design.T @ yn
        models = []
        for alpha in alphas:
            shrunk = gram.copy()
            shrunk[np.diag_indices(x.shape[1])] += alpha  # the bias is not shrunk
            ridge = RidgeMap(x.shape[1], alpha, np.linalg.solve(shrunk, rhs))
            models.append(cls(y.shape[1], (ridge,)))
        return models

    @classmethod
    def average(cls, models: list[LinearForecaster]) -> LinearForecaster:
        return cls(models[0].horizon, tuple(m for model in models for m in model.members))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``x`` holds at least ``lookback`` columns; each member reads its own tail."""
        out: np.ndarray = np.mean([m.predict(x) for m in self.members], axis=0)
        return out

    def _scale(self, x: np.ndarray) -> np.ndarray:
        return _normalise(x[:, -self.lookback :])[2]

    def calibrate(
        self, x: np.ndarray, y: np.ndarray, levels: tuple[float, ...] = (0.8, 0.95)
    ) -> None:
        """Split-conformal half-widths per step ahead: the ``level`` quantile of the
        absolute residuals on windows the fit did not see, in units of each window's own
        std, so the interval scales with the region's level and always holds the point."""
        resid = np.abs(y - self.predict(x)) / self._scale(x)
        for level in levels:
            self.residual_quantiles[f"{level:.2f}"] = np.quantile(resid, level, axis=0)

    def interval(self, x: np.ndarray, level: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
        half = self.residual_quantiles[f"{level:.2f}"] * self._scale(x)
        point = self.predict(x)
        return point - half, point + half


Windows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def choose(
    data: Callable[[int], Windows],
    lookbacks: tuple[int, ...],
    alphas: tuple[float, ...],
) -> tuple[LinearForecaster, float]:
    """The model with the lowest validation MSE, and that MSE. ``data(lookback)`` gives
    (x_fit, y_fit, x_val, y_val) for that lookback, with the same validation targets for
    every lookback. Each lookback gets its own best ridge strength; then every single
    lookback and every average of several compete, fewer members winning ties. Nothing
    outside the validation windows takes part in the choice."""
    best_per_lookback: dict[int, tuple[LinearForecaster, np.ndarray]] = {}
    y_val: np.ndarray | None = None
    for lb in lookbacks:
        x_fit, y_fit, x_va, y_va = data(lb)
        if y_val is None:
            y_val = y_va
        elif not np.array_equal(y_val, y_va):
            raise ValueError("every lookback must be validated on the same targets")
        scored = [(m, m.predict(x_va)) for m in LinearForecaster.fit_path(x_fit, y_fit, alphas)]
        best_per_lookback[lb] = min(scored, key=lambda mp: _mse(mp[1], y_va))
    assert y_val is not None
    winner: tuple[float, tuple[int, ...]] | None = None
    for size in range(1, len(lookbacks) + 1):
        for combo in itertools.combinations(lookbacks, size):
            pred = np.mean([best_per_lookback[lb][1] for lb in combo], axis=0)
            mse = _mse(pred, y_val)
            if winner is None or mse < winner[0]:
                winner = (mse, combo)
    assert winner is not None
    model = LinearForecaster.average([best_per_lookback[lb][0] for lb in winner[1]])
    return model, winner[0]


def _mse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((pred - y) ** 2))


def seasonal_naive(x: np.ndarray, horizon: int, season: int = 24) -> np.ndarray:
    """Tomorrow is today again: the last ``season`` values repeated."""
    last = x[:, -season:]
    reps = -(-horizon // season)
    return np.tile(last, reps)[:, :horizon]
