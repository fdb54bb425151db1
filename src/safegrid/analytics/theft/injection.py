"""The six false-data-injection theft patterns of Jokar, Arianpoo and Leung, "Electricity
theft detection in AMI using customers' consumption patterns", IEEE Trans. Smart Grid 7(1),
2016, applied to daily readings from a random start day to the customer's last day.

There are no theft labels in real smart-meter data; the model learns from honest
customers and copies of them with one of these patterns injected (and is evaluated the
same way on customers it never saw, docs/analytics-theft-evaluation.md).

==== =========================================================================
h1   x_t · α, one α ~ U(0.1, 0.8)                          scaling by a constant
h2   x_t · 0 on a window of days inside the theft span, else x_t    on/off zeroing
h3   x_t · γ_t, γ_t ~ U(0.1, 0.8) drawn per day             random factor per day
h4   mean(x) · γ_t, γ_t ~ U(0.1, 0.8) per day               the mean scaled per day
h5   mean(x)                                                the flat mean
h6   x_{T-t}: the span read backwards                       reversal
==== =========================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PATTERNS: tuple[str, ...] = ("h1", "h2", "h3", "h4", "h5", "h6")
PATTERN_NAMES = {
    "h1": "scaling by a constant",
    "h2": "on/off zeroing of a window",
    "h3": "random factor per day",
    "h4": "mean scaled per day",
    "h5": "flat mean",
    "h6": "reversal",
}
# The theft starts between a year and this many days before the customer's last day, so
# at least this many days are affected (a theft that began yesterday is not yet visible).
MIN_AFFECTED_DAYS = 60
SPAN_DAYS = 365


def inject_one(kwh: np.ndarray, pattern: str, rng: np.random.Generator) -> np.ndarray:
    """A copy of one customer's day-ordered readings with ``pattern`` from a random day."""
    x = kwh.astype("float64").copy()
    n = len(x)
    earliest = max(0, n - SPAN_DAYS)
    latest = max(earliest, n - MIN_AFFECTED_DAYS)
    start = int(rng.integers(earliest, latest + 1))
    span = x[start:]
    m = len(span)
    if pattern == "h1":
        span *= rng.uniform(0.1, 0.8)
    elif pattern == "h2":
        length = int(rng.integers(min(14, m), m + 1))
        off = int(rng.integers(0, m - length + 1))
        span[off : off + length] = 0.0
    elif pattern == "h3":
        span *= rng.uniform(0.1, 0.8, m)
    elif pattern == "h4":
        span[:] = span.mean() * rng.uniform(0.1, 0.8, m)
    elif pattern == "h5":
        span[:] = span.mean()
    elif pattern == "h6":
        span[:] = span[::-1].copy()
    else:
        raise ValueError(f"unknown pattern {pattern!r}")
    return x


def inject(daily: pd.DataFrame, patterns: dict[str, str], rng: np.random.Generator) -> pd.DataFrame:
    """``daily`` (customer, day, kwh) with ``patterns[customer]`` injected into the listed
    customers; the others are returned unchanged."""
    daily = daily.sort_values(["customer", "day"], kind="stable").reset_index(drop=True)
    kwh = daily["kwh"].to_numpy(dtype="float64").copy()
    starts = daily.groupby("customer", sort=False).indices
    for customer, pattern in patterns.items():
        idx = starts[customer]
        kwh[idx] = inject_one(kwh[idx], pattern, rng)
    out = daily.copy()
    out["kwh"] = kwh
    return out
