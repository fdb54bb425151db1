"""ANA-1 evaluation protocol (docs/analytics-theft-evaluation.md), in one run:

1. Households are split by a seeded shuffle: ``train_share`` for training, the rest held
   out (the model never sees them, honest or injected).
2. The model trains on the training households (honest + one injected copy each).
3. The held-out households are split in half: honest negatives, and a positive pool.
   For each pattern h1..h6, ``prevalence`` × negatives positives are drawn from the pool
   and that pattern is injected from a random start (60–365 days before their last day).
4. Per pattern and overall (the positive pool with a random pattern each, subsampled to
   the same prevalence) ROC-AUC and MAP@100 of: the model, the own-history drop ratio
   (current year's mean over the year before, lower is more suspicious) and an isolation
   forest fitted on the training households' honest features.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from safegrid.analytics.daily_features import FEATURES
from safegrid.analytics.theft import model as theft_model
from safegrid.analytics.theft.injection import PATTERNS, inject

METHODS = ("model", "drop_ratio", "isolation_forest")


def map_at_k(labels: np.ndarray, scores: np.ndarray, k: int = 100) -> float:
    """MAP@k as Zheng et al. (2018) use it: the mean of precision@i over the positions i
    <= k that hold a positive (0 when the top k hold none)."""
    order = np.argsort(-scores, kind="stable")[:k]
    hits = labels[order] == 1
    if not hits.any():
        return 0.0
    precision = np.cumsum(hits) / np.arange(1, len(order) + 1)
    return float(precision[hits].mean())


@dataclasses.dataclass
class Protocol:
    train_share: float = 0.6
    prevalence: float = 0.1
    seed: int = 2016
    rounds: int = theft_model.ROUNDS
    copies: int = 2


def _drop_score(feats: pd.DataFrame) -> np.ndarray:
    return np.asarray(-feats["drop_c"].fillna(1.0), dtype="float64")


def _test_sets(
    held_out: pd.DataFrame, protocol: Protocol, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, list[str]], list[str]]:
    customers = np.array(sorted(held_out["customer"].unique()))
    rng.shuffle(customers)
    negatives = list(customers[: len(customers) // 2])
    pool = customers[len(customers) // 2 :]
    per_set = max(1, round(protocol.prevalence * len(negatives)))
    frames, groups, patterns = [held_out[held_out["customer"].isin(negatives)]], {}, {}
    for pattern in (*PATTERNS, "all"):
        chosen = rng.choice(pool, size=min(per_set, len(pool)), replace=False)
        names = [f"{c}~{pattern}" for c in chosen]
        src = held_out[held_out["customer"].isin(chosen)]
        src = src.assign(customer=src["customer"] + f"~{pattern}")
        for name in names:
            patterns[name] = rng.choice(PATTERNS) if pattern == "all" else pattern
        frames.append(src)
        groups[pattern] = names
    test = inject(pd.concat(frames, ignore_index=True), patterns, rng)
    return test, groups, negatives


def evaluate(daily: pd.DataFrame, protocol: Protocol | None = None) -> dict[str, Any]:
    """Train on part of ``daily``'s customers and measure on the rest, as described above.
    Returns {"protocol", "counts", "results": {pattern: {method: {"auc", "map100"}}}}."""
    protocol = protocol or Protocol()
    rng = np.random.default_rng(protocol.seed)
    customers = np.array(sorted(daily["customer"].unique()))
    rng.shuffle(customers)
    n_train = int(len(customers) * protocol.train_share)
    train_ids = set(customers[:n_train])
    train_daily = daily[daily["customer"].isin(train_ids)]
    held_out = daily[~daily["customer"].isin(train_ids)]

    artefact = theft_model.train(
        train_daily, seed=protocol.seed, copies=protocol.copies, rounds=protocol.rounds
    )
    test, groups, negatives = _test_sets(held_out, protocol, rng)
    # Cohort means from the honest population only, as at scoring time.
    feats = theft_model.features(test, cohort_source=held_out)
    honest_train = theft_model.features(train_daily)
    forest = IsolationForest(n_estimators=200, random_state=protocol.seed)
    forest.fit(honest_train[list(FEATURES)].fillna(0.0))
    scores = {
        "model": pd.Series(theft_model.predict(artefact, feats), index=feats.index),
        "drop_ratio": pd.Series(_drop_score(feats), index=feats.index),
        "isolation_forest": pd.Series(
            -forest.score_samples(feats[list(FEATURES)].fillna(0.0)), index=feats.index
        ),
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    for pattern, positives in groups.items():
        ids = [*negatives, *positives]
        labels = np.array([0] * len(negatives) + [1] * len(positives))
        results[pattern] = {
            m: {
                "auc": float(roc_auc_score(labels, s.loc[ids].to_numpy())),
                "map100": map_at_k(labels, s.loc[ids].to_numpy(), 100),
            }
            for m, s in scores.items()
        }
    return {
        "protocol": dataclasses.asdict(protocol),
        "counts": {
            "households": len(customers),
            "train": n_train,
            "negatives": len(negatives),
            "positives_per_set": len(groups["h1"]),
        },
        "results": results,
        "artefact": artefact,
    }


def table(report: dict[str, Any]) -> list[list[str]]:
    """Rows: pattern, then AUC and MAP@100 for each method."""
    rows = []
    for pattern, by_method in report["results"].items():
        cells = [f"{by_method[m][k]:.3f}" for m in METHODS for k in ("auc", "map100")]
        rows.append([pattern, *cells])
    return rows
