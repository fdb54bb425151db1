"""ANA-3 arrears risk: LightGBM on the bill features (safegrid.analytics.arrears.features),
evaluated on a time split against the "paid late last month" rule in the same run.

The label of a bill is 1 when it was not paid in full by its due date (paid late or not
at all), known once the due date has passed. The time split: the last TEST_PERIODS
labelled periods are the test; the model learns only from bills whose label was already
known when the first test bill was issued, so nothing it learns comes from the test's
future."""

from __future__ import annotations

from datetime import date
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from safegrid.analytics import engines
from safegrid.analytics.arrears.features import BILLS, FEATURES, PLANS, REMINDERS, bill_features
from safegrid.analytics.artefacts import ModelArtefact, data_hash, new_version

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
    "seed": 23,
}
ROUNDS = 200
TEST_PERIODS = 2
TOP_SHARE = 0.1  # precision and recall among the riskiest tenth, as a collector works


def features(
    bills: pd.DataFrame,
    reminders: pd.DataFrame,
    plans: pd.DataFrame,
    engine: engines.Engine | str = "duckdb",
) -> pd.DataFrame:
    """Features of every bill in ``bills``, indexed by bill id (see features.py)."""
    backend = engines.connect(engine)
    frame = engines.collect(
        bill_features(
            engines.load(backend, "bills", bills, BILLS),
            engines.load(backend, "reminders", reminders, REMINDERS),
            engines.load(backend, "plans", plans, PLANS),
        )
    ).set_index("bill_id")
    return frame[list(FEATURES)].astype("float64")


def labels(bills: pd.DataFrame, as_of: date) -> pd.Series:
    """bill id → 1 (not paid by its due date) / 0, for bills due before ``as_of``."""
    known = bills[pd.to_datetime(bills["due_on"]) < pd.Timestamp(as_of)]
    settled = pd.to_datetime(known["settled_on"])
    on_time = settled.notna() & (settled <= pd.to_datetime(known["due_on"]))
    return pd.Series((~on_time).astype("int64").to_numpy(), index=known["bill_id"], name="label")


def _fit(x: pd.DataFrame, y: pd.Series, rounds: int) -> lgb.Booster:
    return lgb.train(PARAMS, lgb.Dataset(x, label=y), num_boost_round=rounds)


def _metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    top = max(1, round(len(y) * TOP_SHARE))
    # Ties (a rule scores 0 or 1) are broken at random, not by the input's order.
    jitter = np.random.default_rng(0).random(len(score)) * 1e-9
    order = np.argsort(-(score + jitter), kind="stable")[:top]
    return {
        "roc_auc": float(roc_auc_score(y, score)),
        "average_precision": float(average_precision_score(y, score)),
        "precision_top10": float(y[order].mean()),
        "recall_top10": float(y[order].sum() / max(y.sum(), 1)),
    }


def evaluate(
    bills: pd.DataFrame, feats: pd.DataFrame, as_of: date, rounds: int = ROUNDS
) -> dict[str, Any]:
    """Time split; the model and the rules scored on the same test bills."""
    y_all = labels(bills, as_of)
    b = bills.set_index("bill_id").loc[y_all.index]
    periods = sorted(b["period"].unique())
    if len(periods) <= TEST_PERIODS + 1:
        raise ValueError(
            f"至少需要 {TEST_PERIODS + 2} 个已到期账期 / need at least {TEST_PERIODS + 2} "
            f"periods past their due dates, got {len(periods)}"
        )
    test_periods = periods[-TEST_PERIODS:]
    test = b["period"].isin(test_periods)
    first_cutoff = pd.to_datetime(b.loc[test, "issued_on"]).min()
    train = ~test & (pd.to_datetime(b["due_on"]) < first_cutoff)
    booster = _fit(feats.loc[b.index[train]], y_all[train], rounds)
    y = y_all[test].to_numpy()
    x = feats.loc[b.index[test]]
    scorers = {
        "model": booster.predict(x),
        "paid_late_last_month": x["prev_late"].fillna(0).to_numpy(),
        "late_share_last_year": x["late_share"].fillna(0).to_numpy(),
    }
    return {
        "train_periods": [p for p in periods if p < test_periods[0]],
        "test_periods": test_periods,
        "train_bills": int(train.sum()),
        "test_bills": int(test.sum()),
        "test_late_share": float(y.mean()),
        "results": {name: _metrics(y, s) for name, s in scorers.items()},
    }


def train(
    bills: pd.DataFrame,
    reminders: pd.DataFrame,
    plans: pd.DataFrame,
    as_of: date,
    rounds: int = ROUNDS,
) -> ModelArtefact:
    """Evaluate on the time split, then fit on every labelled bill; one artefact."""
    feats = features(bills, reminders, plans)
    evaluation = evaluate(bills, feats, as_of, rounds)
    y = labels(bills, as_of)
    booster = _fit(feats.loc[y.index], y, rounds)
    sha = data_hash(feats.loc[y.index].assign(label=y).reset_index())
    version, created = new_version(sha)
    return ModelArtefact(
        kind="arrears",
        version=version,
        created_at=created,
        training_data_sha256=sha,
        training_rows=len(y),
        params={**PARAMS, "rounds": rounds, "as_of": as_of.isoformat()},
        features=list(FEATURES),
        evaluation=evaluation,
        model=booster.model_to_string(),
    )


def score(artefact: ModelArtefact, feats: pd.DataFrame) -> pd.DataFrame:
    """``bill_id, score, reason`` for the rows of ``feats``, riskiest first."""
    booster = lgb.Booster(model_str=artefact.model)
    x = feats[artefact.features]
    contrib = np.asarray(booster.predict(x, pred_contrib=True))[:, :-1]
    out = pd.DataFrame(
        {
            "bill_id": feats.index.to_numpy(),
            "score": booster.predict(x),
            "reason": reasons(x, contrib),
        }
    )
    return out.sort_values(["score", "bill_id"], ascending=[False, True], ignore_index=True)


def reasons(x: pd.DataFrame, contrib: np.ndarray) -> list[str]:
    """The feature that pushed each score up most, in words ("中文 / English")."""
    names = list(x.columns)
    top = np.argmax(contrib, axis=1)
    return [_say(names[i], x.iloc[row]) for row, i in enumerate(top)]


def _num(r: pd.Series, key: str, default: float = 0.0) -> float:
    value = r.get(key)
    return default if value is None or pd.isna(value) else float(value)


def _say(feature: str, r: pd.Series) -> str:
    n = int(_num(r, "hist_due"))
    if feature in ("late_share", "mean_days_late", "max_days_late", "months_since_late"):
        late = round(_num(r, "late_share") * n)
        return (
            f"近一年 {n} 张到期账单中 {late} 张逾期 / {late} of {n} bills due last year paid late"
        )
    if feature in ("prev_late", "prev_days_late"):
        days = int(_num(r, "prev_days_late"))
        return f"上月账单逾期 {days} 天 / last month's bill was {days} days late"
    if feature in ("owed_at_cutoff", "owed_ratio", "open_share"):
        owed = f"{_num(r, 'owed_at_cutoff'):.2f}"
        return f"出账时仍欠 {owed} 元 / {owed} yuan still owed when this bill was issued"
    if feature == "fee_days":
        days = int(_num(r, "fee_days"))
        return f"近一年计违约金 {days} 天 / late fees for {days} days last year"
    if feature == "reminders":
        k = int(_num(r, "reminders"))
        return f"近一年收到 {k} 次催费 / {k} reminders last year"
    if feature == "plans":
        return "近一年办理过分次结算 / an instalment plan last year"
    if feature in ("amount", "amount_ratio"):
        ratio = f"{_num(r, 'amount_ratio', 1.0):.1f}"
        return f"本期电费为平时的 {ratio} 倍 / this bill is {ratio}× the usual"
    return "缴费记录较少 / little payment history"
