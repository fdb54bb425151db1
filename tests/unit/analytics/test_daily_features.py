"""ANA-1 features of daily consumption, checked by hand on series whose answer is known."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from safegrid.analytics.theft.model import features


def _series(customer: str, values: list[float]) -> pd.DataFrame:
    start = date(2012, 1, 1)
    return pd.DataFrame(
        {
            "customer": customer,
            "day": [start + timedelta(days=i) for i in range(len(values))],
            "kwh": values,
        }
    )


@pytest.fixture(scope="module")
def feats() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    wavy = list(10 + rng.standard_normal(730))
    frame = pd.concat(
        [
            _series("halved", [10.0] * 365 + [5.0] * 365),
            _series("zeroed", [8.0] * 700 + [0.0] * 20 + [8.0] * 10),
            _series("steady", [10.0] * 730),
            _series("noisy", wavy),
        ]
    )
    return features(frame)


def test_ana_1_drop_is_the_current_year_over_the_year_before(feats: pd.DataFrame) -> None:
    assert feats.loc["halved", "drop_c"] == pytest.approx(0.5)
    assert feats.loc["steady", "drop_c"] == pytest.approx(1.0)
    assert feats.loc["halved", "days"] == 365 and feats.loc["halved", "hist_days"] == 365


def test_ana_1_cohort_relative_drop_sees_what_neighbours_did_not(feats: pd.DataFrame) -> None:
    # The cohort halved's neighbours kept their level, so relative to them it fell too,
    # and by more than its raw drop would show against a cohort that fell with it.
    assert feats.loc["halved", "rel_drop_c"] < 0.6
    assert feats.loc["steady", "rel_drop_c"] > 1.0


def test_ana_1_zero_runs_and_flatness(feats: pd.DataFrame) -> None:
    assert feats.loc["zeroed", "zero_run_c"] == 20
    assert feats.loc["zeroed", "zero_days_c"] == 20
    assert feats.loc["steady", "zero_run_c"] == 0
    assert feats.loc["steady", "cv_r90"] == pytest.approx(0.0)
    assert feats.loc["noisy", "cv_r90"] > 0.05
