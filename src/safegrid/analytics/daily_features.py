"""Per-customer features of daily consumption (ANA-1), computed on the day matrix of
:mod:`safegrid.analytics.day_matrix`: column ``b`` of a customer's row is his reading ``b``
days before his own last day, so a customer who left early is judged on his own last year,
not on days he never had, and every window is a slice of columns:

* ``C``  the current year  (b < 365)
* ``H``  the year before   (365 <= b < 730), the customer's own history
* ``R30``/``R90`` the last 30 / 90 days

Consumption is compared with the customer's own history both raw and relative to the
cohort (the mean of all customers in the input on the same day), so that a cold winter
that raised everybody's use is not a drop for anyone. Ratios are NaN where the history
is missing; the model treats NaN as unknown rather than zero.

"The previous reading" is the customer's last reading before that day (a gap is skipped,
not read as zero). The arithmetic is one compiled loop per customer
(:mod:`safegrid.analytics.daily_kernel`, ADR 0040).
"""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from safegrid.analytics import daily_kernel
from safegrid.analytics.day_matrix import MEMORY_BYTES, DayMatrix, matrices

FEATURES: tuple[str, ...] = (
    "days",
    "hist_days",
    "drop_c",
    "drop_r90",
    "drop_r30",
    "rel_drop_c",
    "rel_drop_r90",
    "rel_drop_r30",
    "rel_month_min",
    "rel_month_max",
    "cv_r90",
    "cv_ratio",
    "step_ratio",
    "ac1_c",
    "ac1_h",
    "corr_cohort_c",
    "corr_cohort_h",
    "corr_cohort_r90",
    "corr_last_year",
    "week_corr_c",
    "week_corr_h",
    "zero_days_c",
    "zero_days_h",
    "zero_run_c",
    "min_week_ratio",
    "cp_ratio",
    "cp_var_ratio",
    "ac1_r60",
    "step_r60",
)


def features_of(matrix: DayMatrix) -> pd.DataFrame:
    """One row per customer of ``matrix``, the columns of :data:`FEATURES`."""
    values = daily_kernel.features(matrix.kwh, matrix.last, matrix.cohort)
    return pd.DataFrame(values, index=matrix.customers.rename("customer"), columns=list(FEATURES))


def customer_features(
    daily: ir.Table, cohort_source: ir.Table | None = None, *, memory_bytes: int = MEMORY_BYTES
) -> pd.DataFrame:
    """One row per customer of ``daily`` (``customer, day, kwh``), indexed by customer in
    ascending order, the columns of :data:`FEATURES`. The cohort is ``daily`` itself
    unless ``cohort_source`` (same columns) names the population to compare with, e.g. the
    honest customers when ``daily`` holds injected copies."""
    frames = [features_of(m) for m in matrices(daily, cohort_source, memory_bytes=memory_bytes)]
    if not frames:
        return pd.DataFrame(columns=list(FEATURES), index=pd.Index([], name="customer"))
    return pd.concat(frames).sort_index()
