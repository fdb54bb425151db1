"""ANA-2 load forecasting: a channel-independent linear model with per-window (RevIN-style)
normalisation, fitted in closed form (ridge).

Each channel's last ``lookback`` values are normalised by their own mean and standard
deviation, one linear map shared by all channels turns them into the next ``horizon``
values, and the window's statistics are put back. It is DLinear's recipe without its
trend/seasonal split (a linear map can learn that split itself) and fitted exactly
instead of by SGD, so it trains in a second on a CPU. Prediction intervals come from the
quantiles of the absolute normalised residuals on data the fit did not see (split
conformal prediction).
"""

from __future__ import annotations

import dataclasses

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


@dataclasses.dataclass
class LinearForecaster:
    lookback: int
    horizon: int
    alpha: float
    weights: np.ndarray  # (lookback + 1, horizon), last row the bias
    residual_quantiles: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, alpha: float) -> LinearForecaster:
        return cls.fit_path(x, y, (alpha,))[0]

    @classmethod
    def fit_path(
        cls, x: np.ndarray, y: np.ndarray, alphas: tuple[float, ...]
    ) -> list[LinearForecaster]:
        """One model per ridge strength; the normal equations are built once."""
        moving = x.std(axis=1) >= MIN_STD * (np.abs(x.mean(axis=1)) + 1.0)
        xn, mean, std = _normalise(x[moving])
        yn = (y[moving] - mean) / std
        design = np.hstack([xn, np.ones((len(xn), 1))])
        gram, rhs = design.T @ design, design.T @ yn
        models = []
        for alpha in alphas:
            shrunk = gram.copy()
            shrunk[np.diag_indices(x.shape[1])] += alpha  # the bias is not shrunk
            models.append(cls(x.shape[1], y.shape[1], alpha, np.linalg.solve(shrunk, rhs)))
        return models

    def predict(self, x: np.ndarray) -> np.ndarray:
        xn, mean, std = _normalise(x)
        out: np.ndarray = (np.hstack([xn, np.ones((len(xn), 1))]) @ self.weights) * std + mean
        return out

    def calibrate(
        self, x: np.ndarray, y: np.ndarray, levels: tuple[float, ...] = (0.8, 0.95)
    ) -> None:
        """Split-conformal half-widths per step ahead: the ``level`` quantile of the
        absolute residuals on windows the fit did not see, in units of each window's own
        std, so the interval scales with the region's level and always holds the point."""
        _, _, std = _normalise(x)
        resid = np.abs(y - self.predict(x)) / std
        for level in levels:
            self.residual_quantiles[f"{level:.2f}"] = np.quantile(resid, level, axis=0)

    def interval(self, x: np.ndarray, level: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
        _, _, std = _normalise(x)
        half = self.residual_quantiles[f"{level:.2f}"] * std
        point = self.predict(x)
        return point - half, point + half


def seasonal_naive(x: np.ndarray, horizon: int, season: int = 24) -> np.ndarray:
    """Tomorrow is today again: the last ``season`` values repeated."""
    last = x[:, -season:]
    reps = -(-horizon // season)
    return np.tile(last, reps)[:, :horizon]
