"""ANA-1 theft ranking: LightGBM on the daily features (safegrid.analytics.daily_features),
trained on honest customers and copies of them with the Jokar et al. (2016) patterns
injected (safegrid.analytics.theft.injection)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from safegrid.analytics import engines
from safegrid.analytics.artefacts import ModelArtefact, data_hash, new_version
from safegrid.analytics.daily_features import FEATURES, customer_features
from safegrid.analytics.theft.injection import PATTERNS, inject
from safegrid.analytics.theft.reasons import reasons

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
    "seed": 17,
}
ROUNDS = 400
THEFT_SUFFIX = "~theft"


def features(
    daily: pd.DataFrame,
    engine: engines.Engine | str = "duckdb",
    cohort_source: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Features of ``daily`` (customer, day, kwh) computed on ``engine``; the cohort is
    ``cohort_source`` when given (see daily_features.customer_features)."""
    backend = engines.connect(engine)
    table = engines.load(backend, "daily", daily[["customer", "day", "kwh"]])
    cohort = None
    if cohort_source is not None:
        cohort = engines.load(backend, "cohort", cohort_source[["customer", "day", "kwh"]])
    return customer_features(table, cohort)


def training_set(
    daily: pd.DataFrame, rng: np.random.Generator, copies: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Honest customers plus ``copies`` injected copies of each (each copy a random
    pattern), as one frame, and a frame ``customer, label, pattern``."""
    customers = daily["customer"].unique()
    frames, labels = [daily], [pd.DataFrame({"customer": customers, "label": 0, "pattern": ""})]
    for copy in range(copies):
        chosen = rng.choice(PATTERNS, size=len(customers))
        renamed = daily.assign(customer=daily["customer"] + f"{THEFT_SUFFIX}{copy}")
        names = [f"{c}{THEFT_SUFFIX}{copy}" for c in customers]
        frames.append(inject(renamed, dict(zip(names, chosen, strict=True)), rng))
        labels.append(pd.DataFrame({"customer": names, "label": 1, "pattern": chosen}))
    return pd.concat(frames, ignore_index=True), pd.concat(labels, ignore_index=True)


def fit(feats: pd.DataFrame, labels: Iterable[int], rounds: int = ROUNDS) -> lgb.Booster:
    data = lgb.Dataset(feats[list(FEATURES)], label=np.asarray(list(labels)))
    return lgb.train(PARAMS, data, num_boost_round=rounds)


def train(
    daily: pd.DataFrame,
    *,
    seed: int = 17,
    copies: int = 2,
    rounds: int = ROUNDS,
    engine: engines.Engine | str = "duckdb",
    evaluation: dict[str, Any] | None = None,
    labelled: tuple[pd.DataFrame, dict[str, int]] | None = None,
) -> ModelArtefact:
    """A theft model trained on ``daily`` (customer, day, kwh), taken to be honest, and
    on ``labelled`` real customers (readings, customer → 1 theft / 0 clean) when given."""
    rng = np.random.default_rng(seed)
    combined, labels = training_set(daily, rng, copies)
    if labelled is not None:  # inspected meters: real thieves and real honest customers
        found, by_customer = labelled
        combined = pd.concat([combined, found[["customer", "day", "kwh"]]], ignore_index=True)
        labels = pd.concat(
            [
                labels,
                pd.DataFrame(
                    {
                        "customer": list(by_customer),
                        "label": list(by_customer.values()),
                        "pattern": "inspected",
                    }
                ),
            ],
            ignore_index=True,
        )
    feats = features(combined, engine, cohort_source=daily).loc[labels["customer"]]
    booster = fit(feats, labels["label"], rounds)
    inputs = [daily] if labelled is None else [daily, labelled[0]]
    sha = data_hash(pd.concat([f[["customer", "day", "kwh"]] for f in inputs], ignore_index=True))
    version, created = new_version(sha)
    return ModelArtefact(
        kind="theft",
        version=version,
        created_at=created,
        training_data_sha256=sha,
        training_rows=len(daily),
        params={**PARAMS, "rounds": rounds, "copies": copies, "seed_injection": seed},
        features=list(FEATURES),
        evaluation=evaluation or {},
        model=booster.model_to_string(),
    )


def predict(artefact: ModelArtefact, feats: pd.DataFrame) -> np.ndarray:
    booster = lgb.Booster(model_str=artefact.model)
    return np.asarray(booster.predict(feats[artefact.features]), dtype="float64")


def score(
    artefact: ModelArtefact, daily: pd.DataFrame, engine: engines.Engine | str = "duckdb"
) -> pd.DataFrame:
    """``customer, score, rank, reason``: every customer of ``daily``, most suspicious
    first (rank 1)."""
    feats = features(daily, engine)
    scores = predict(artefact, feats)
    out = pd.DataFrame({"customer": feats.index, "score": scores})
    out["reason"] = reasons(feats).to_numpy()
    out = out.sort_values(["score", "customer"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)[["customer", "score", "rank", "reason"]]
