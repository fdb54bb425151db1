"""ANA-4: the ACORN comparison runs all three methods on one split; on generated
households whose group sets their level, the learned models beat the majority class."""

from __future__ import annotations

import numpy as np
import pandas as pd

from safegrid.analytics.acorn import GROUPS, evaluate, rocket_features
from tests.fixtures.consumption import daily_frame


def test_ana_4_models_beat_the_majority_class_on_the_same_split() -> None:
    daily = daily_frame(customers=150, days=800, seed=2)
    ids = sorted(daily["customer"].unique())
    mean = daily.groupby("customer")["kwh"].mean().loc[ids].to_numpy()
    # Group by level with some overlap: the richest third uses the most.
    rank = np.argsort(
        np.argsort(mean + np.random.default_rng(0).normal(0, mean.std() / 3, len(mean)))
    )
    groups = [GROUPS[min(2, r * 3 // len(ids))] for r in rank]
    households = pd.DataFrame({"LCLid": ids, "Acorn_grouped": groups})
    result = evaluate(daily, households)
    assert result["counts"]["households"] == 150 and result["counts"]["test"] == 45
    r = result["results"]
    assert set(r) == {"majority", "gradient_boosting", "conv_pca_svm"}
    assert r["gradient_boosting"]["accuracy"] > r["majority"]["accuracy"] + 0.2
    assert r["gradient_boosting"]["macro_f1"] > r["majority"]["macro_f1"]


def test_ana_4_rocket_features_are_max_and_share_of_positive_values() -> None:
    x = np.random.default_rng(1).standard_normal((4, 100))
    f = rocket_features(x, kernels=5)
    assert f.shape == (4, 10)
    assert ((f[:, 1::2] >= 0) & (f[:, 1::2] <= 1)).all()
