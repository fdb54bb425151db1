"""The seed's weighting model with learned weights.

Every feature is scaled to [0, 1] between the training population's 1st and 99th
percentiles and turned so that 1 leans towards the label (arrears) — the sign of its
correlation with the label on the training rows. Then, with non-negative least squares
(a linear probability model constrained to weights ≥ 0, normalised to sum 1):

* ω, per group: the label on the group's features, so F(Ue_i) = Σ_j ω_j·U_ij ∈ [0, 1];
* λ: the label on the group scores, so F(U) = Σ_i λ_i·F(Ue_i) ∈ [0, 1].

Why this and not entropy weighting: entropy weights reward a feature for being spread
out, whether or not it says anything about the customer; here a weight is what the
feature adds to explaining a real outcome, and a feature that adds nothing gets 0 (the
constraint keeps every weight readable as a share, which the matching degree needs). Why
arrears: it is the one outcome the utility records for every account every month, on the
customer's own conduct, and it is what the collection and advice workflows act on.
A group whose every weight comes out 0 keeps equal ω (it then has λ = 0 anyway)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pandas as pd

from safegrid.analytics.artefacts import ModelArtefact, data_hash, new_version
from safegrid.analytics.profile.groups import FEATURES, GROUPS

KIND = "profile"
MIN_ROWS = 30


@dataclasses.dataclass
class ProfileWeights:
    features: list[str]
    group_of: list[str]  # the group key of each feature
    lo: list[float]
    hi: list[float]
    sign: list[int]  # +1: more leans towards the label; −1: less does
    omega: list[float]  # within its group; each group's sum to 1
    lam: dict[str, float]  # per group; sum 1

    def scaled(self, frame: pd.DataFrame) -> np.ndarray:
        """U: the features in [0, 1], turned towards the label."""
        x = frame[self.features].to_numpy(dtype="float64")
        lo, hi = np.asarray(self.lo), np.asarray(self.hi)
        u = np.clip((x - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
        turned: np.ndarray = np.where(np.asarray(self.sign) > 0, u, 1.0 - u)
        return turned

    def group_scores(self, frame: pd.DataFrame) -> pd.DataFrame:
        """F(Ue_i) per group (columns: the group keys)."""
        u = self.scaled(frame) * np.asarray(self.omega)
        keys = np.asarray(self.group_of)
        return pd.DataFrame({g: u[:, keys == g].sum(axis=1) for g in self.lam}, index=frame.index)

    def total(self, frame: pd.DataFrame) -> pd.Series:
        """F(U) = Σ_i λ_i·F(Ue_i)."""
        scores = self.group_scores(frame)
        return scores @ pd.Series(self.lam)

    def coordinates(self, frame: pd.DataFrame) -> np.ndarray:
        """U scaled by λ_i·ω_j: the Manhattan distance between two rows is
        Σ_i λ_i Σ_j ω_j |ΔU_ij| = 1 − total matching degree."""
        lam = np.asarray([self.lam[g] for g in self.group_of])
        coords: np.ndarray = self.scaled(frame) * np.asarray(self.omega) * lam
        return coords

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ProfileWeights:
        return cls(**json.loads(text))


def _nonnegative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # scikit-learn is imported where it is used: the console imports this module, and
    # scikit-learn adds most of a second to every process start.
    from sklearn.linear_model import LinearRegression

    if x.shape[1] == 0 or np.ptp(y) == 0:
        return np.zeros(x.shape[1])
    fit = LinearRegression(positive=True).fit(x, y)
    beta: np.ndarray = np.clip(np.asarray(fit.coef_, dtype="float64"), 0.0, None)
    return beta


def _share(beta: np.ndarray) -> np.ndarray:
    total = beta.sum()
    return beta / total if total > 0 else np.full(len(beta), 1.0 / len(beta))


def learn(frame: pd.DataFrame, label: pd.Series) -> ProfileWeights:
    """ω and λ from ``frame`` (FEATURES) and the 0/1 ``label`` on the same index."""
    x = frame[list(FEATURES)].to_numpy(dtype="float64")
    y = label.reindex(frame.index).to_numpy(dtype="float64")
    lo, hi = np.percentile(x, 1, axis=0), np.percentile(x, 99, axis=0)
    u = np.clip((x - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.array(
            [
                np.corrcoef(u[:, j], y)[0, 1] if np.ptp(u[:, j]) > 0 else 0.0
                for j in range(u.shape[1])
            ]
        )
    sign = np.where(np.nan_to_num(corr) < 0, -1, 1)
    u = np.where(sign > 0, u, 1.0 - u)
    group_of = [g.key for g in GROUPS for _column in g.features]
    keys = np.asarray(group_of)
    omega = np.zeros(len(FEATURES))
    scores = np.empty((len(u), len(GROUPS)))
    for i, g in enumerate(GROUPS):
        cols = keys == g.key
        omega[cols] = _share(_nonnegative(u[:, cols], y))
        scores[:, i] = u[:, cols] @ omega[cols]
    lam = _share(_nonnegative(scores, y))
    return ProfileWeights(
        features=list(FEATURES),
        group_of=group_of,
        lo=lo.tolist(),
        hi=hi.tolist(),
        sign=[int(s) for s in sign],
        omega=omega.tolist(),
        lam={g.key: float(w) for g, w in zip(GROUPS, lam, strict=True)},
    )


def equal(weights: ProfileWeights) -> ProfileWeights:
    """The same scaling and turning with guessed weights: equal within and across groups."""
    keys = np.asarray(weights.group_of)
    omega = np.array([1.0 / (keys == k).sum() for k in keys])
    lam = {g: 1.0 / len(weights.lam) for g in weights.lam}
    return dataclasses.replace(weights, omega=omega.tolist(), lam=lam)


def evaluate(frame: pd.DataFrame, label: pd.Series, seed: int = 7) -> dict[str, Any]:
    """ROC-AUC of F(U) on held-out accounts (seeded, stratified 70/30) for the learned
    weights, the same model with equal weights, each group score alone, and an
    unconstrained logistic regression on all features (the ceiling of a linear score)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = label.reindex(frame.index).to_numpy(dtype="int64")
    train, test = train_test_split(
        np.arange(len(frame)), test_size=0.3, random_state=seed, stratify=y
    )
    learned = learn(frame.iloc[train], label)
    held, truth = frame.iloc[test], y[test]
    auc: dict[str, float] = {
        "learned_weights": float(roc_auc_score(truth, learned.total(held))),
        "equal_weights": float(roc_auc_score(truth, equal(learned).total(held))),
    }
    for key, column in learned.group_scores(held).items():
        auc[f"group_{key}"] = float(roc_auc_score(truth, column))
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    logistic.fit(frame.iloc[train][list(FEATURES)], y[train])
    auc["logistic_all_features"] = float(
        roc_auc_score(truth, logistic.predict_proba(held[list(FEATURES)])[:, 1])
    )
    return {
        "accounts": len(frame),
        "train": len(train),
        "test": len(test),
        "label_share": float(y.mean()),
        "roc_auc": auc,
        "split_seed": seed,
    }


def train(frame: pd.DataFrame, label: pd.Series, params: dict[str, Any]) -> ModelArtefact:
    """Evaluate on a held-out split, then learn the weights on every account."""
    y = label.reindex(frame.index)
    if len(frame) < MIN_ROWS or y.isna().any() or y.nunique() < 2:
        raise ValueError(
            f"画像训练数据不足 / too little to learn profile weights from: {len(frame)} "
            f"accounts, labels {sorted(y.dropna().unique().tolist())}"
        )
    evaluation = evaluate(frame, y)
    weights = learn(frame, y)
    data = frame[list(FEATURES)].assign(label=y.to_numpy()).reset_index(drop=True)
    sha = data_hash(data)
    version, created = new_version(sha)
    return ModelArtefact(
        kind=KIND,
        version=version,
        created_at=created,
        training_data_sha256=sha,
        training_rows=len(frame),
        params=params,
        features=list(FEATURES),
        evaluation=evaluation,
        model=weights.to_json(),
    )
