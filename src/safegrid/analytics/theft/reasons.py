"""The reason for a suspect in words: the most striking of the signals the model reads,
so an inspector knows what to look at (ANA-1)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pct(value: pd.Series) -> pd.Series:
    return (value * 100).round().fillna(0).astype("int64").astype(str)


def reasons(feats: pd.DataFrame) -> pd.Series:
    """One sentence per row of ``feats`` (the columns of daily_features.FEATURES)."""
    f = feats
    drop = (1 - f["rel_month_min"]).clip(lower=0)
    candidates = {
        "zero": (
            np.minimum(f["zero_run_c"].fillna(0) / 30, 1.0),
            "连续 "
            + f["zero_run_c"].fillna(0).astype("int64").astype(str)
            + " 天读数为零 / "
            + f["zero_run_c"].fillna(0).astype("int64").astype(str)
            + " consecutive days read zero",
        ),
        "flat": (
            (1 - f["cv_r90"].fillna(1) / 0.1).clip(lower=0),
            "近 90 天用电几乎恒定（变异系数 "
            + _pct(f["cv_r90"])
            + " %）/ use nearly flat over the last 90 days (variation "
            + _pct(f["cv_r90"])
            + " %)",
        ),
        "drop": (
            drop.fillna(0),
            "用电较自身往年水平下降 "
            + _pct(drop)
            + " %，而同区用户没有 / consumption fell "
            + _pct(drop)
            + " % from its own seasonal level while neighbours' did not",
        ),
        "noise": (
            ((f["ac1_h"] - f["ac1_c"]) / 0.6).clip(lower=0).fillna(0),
            "逐日用电失去自身规律（自相关 "
            + f["ac1_h"].round(2).astype(str)
            + " → "
            + f["ac1_c"].round(2).astype(str)
            + "）/ day-to-day use lost its own pattern (autocorrelation "
            + f["ac1_h"].round(2).astype(str)
            + " → "
            + f["ac1_c"].round(2).astype(str)
            + ")",
        ),
        "reversed": (
            ((f["corr_cohort_h"] - f["corr_cohort_c"]) / 0.8).clip(lower=0).fillna(0),
            "用电走势与同区用户相反（相关系数 "
            + f["corr_cohort_c"].round(2).astype(str)
            + "）/ use moves against the neighbours' seasonal pattern (correlation "
            + f["corr_cohort_c"].round(2).astype(str)
            + ")",
        ),
    }
    names = list(candidates)
    severity = np.column_stack([candidates[n][0].to_numpy(dtype="float64") for n in names])
    texts = np.column_stack([candidates[n][1].to_numpy(dtype=object) for n in names])
    best = severity.argmax(axis=1)
    chosen = texts[np.arange(len(f)), best]
    quiet = severity.max(axis=1) < 0.2
    chosen[quiet] = "无明显异常 / no marked anomaly"
    return pd.Series(chosen, index=f.index)
