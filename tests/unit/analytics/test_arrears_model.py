"""ANA-3 arrears risk on a generated history whose paying follows hidden habits: the
features never read past a bill's issue day, and the model beats the "paid late last
month" rule on a time split measured in the same run."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from safegrid.analytics.arrears import model
from tests.fixtures.arrears import bill_history


@pytest.fixture(scope="module")
def history() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, date]:
    return bill_history(accounts=300, months=13, seed=8)


def test_ana_3_features_of_a_bill_use_only_what_was_known_when_it_was_issued(
    history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, date],
) -> None:
    bills, reminders, plans, _as_of = history
    target = "2025-09"
    cutoff = bills.loc[bills["period"] == target, "issued_on"].min()
    assert (bills.loc[bills["period"] == target, "issued_on"] == cutoff).all()
    # The same history cut at the cutoff: later payments undone, later events dropped.
    seen = bills[bills["issued_on"] <= cutoff].copy()
    later = pd.to_datetime(seen["settled_on"]) >= pd.Timestamp(cutoff)
    seen.loc[later, "settled_on"] = None
    late_fee = pd.to_datetime(seen["fee_from"]) >= pd.Timestamp(cutoff)
    seen.loc[late_fee, ["fee_from", "fee_days"]] = [None, 0]
    full = model.features(bills, reminders, plans)
    cut = model.features(
        seen,
        reminders[pd.to_datetime(reminders["sent_on"]) < pd.Timestamp(cutoff)],
        plans[pd.to_datetime(plans["created_on"]) < pd.Timestamp(cutoff)],
    )
    ids = bills.loc[bills["period"] == target, "bill_id"]
    pd.testing.assert_frame_equal(full.loc[ids], cut.loc[ids])
    assert full.loc[ids, "prev_late"].notna().all() and full.loc[ids, "hist_bills"].eq(8).all()


def test_ana_3_model_beats_paid_late_last_month_on_a_time_split(
    history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, date],
) -> None:
    bills, reminders, plans, as_of = history
    artefact = model.train(bills, reminders, plans, as_of, rounds=80)
    ev = artefact.evaluation
    assert max(ev["train_periods"]) < min(ev["test_periods"])
    assert ev["test_bills"] == 2 * 300
    results = ev["results"]
    assert results["model"]["roc_auc"] > results["paid_late_last_month"]["roc_auc"] + 0.02
    assert results["model"]["roc_auc"] > results["late_share_last_year"]["roc_auc"]
    feats = model.features(bills, reminders, plans)
    ranked = model.score(artefact, feats.head(50))
    assert ranked["score"].is_monotonic_decreasing
    assert ranked["reason"].str.contains(" / ").all()
