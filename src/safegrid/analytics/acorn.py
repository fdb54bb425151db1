"""ANA-4 measured on real labels: predict a London household's ACORN group (Affluent /
Comfortable / Adversity) from one year of its daily consumption.

Compared on the same seeded, stratified household split (70 % train / 30 % test):

* majority class (the floor);
* gradient boosting (LightGBM) on engineered features: level, spread, seasonal and weekly
  shape, 52 weekly means relative to the household's own mean;
* the seed's pipeline "CNN features → PCA → SVM". There is no trained CNN here: the
  convolutional features are ROCKET's (Dempster et al., 2020), random dilated 1-D kernels
  whose max and proportion of positive values are the features, which is what a CNN's
  first layer with global pooling computes, without training it. Then PCA and an RBF SVM.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

GROUPS = ("Affluent", "Comfortable", "Adversity")
YEAR_START, YEAR_DAYS = pd.Timestamp("2013-01-01"), 365
MIN_DAYS = 330


def year_matrix(daily: pd.DataFrame) -> pd.DataFrame:
    """Households × 365 days of 2013 (missing days filled with the household's mean);
    households with fewer than MIN_DAYS readings that year are left out."""
    d = daily.assign(day=pd.to_datetime(daily["day"]))
    d = d[(d["day"] >= YEAR_START) & (d["day"] < YEAR_START + pd.Timedelta(days=YEAR_DAYS))]
    wide = d.pivot_table(index="customer", columns="day", values="kwh")
    wide = wide.reindex(columns=pd.date_range(YEAR_START, periods=YEAR_DAYS))
    wide = wide[wide.notna().sum(axis=1) >= MIN_DAYS]
    return wide.T.fillna(wide.mean(axis=1)).T


def engineered(year: pd.DataFrame) -> np.ndarray:
    """A household that read nothing all year has no shape: its ratios are NaN, which
    the gradient boosting reads as missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return _engineered(year)


def _engineered(year: pd.DataFrame) -> np.ndarray:
    x = year.to_numpy(dtype="float64")
    mean = x.mean(axis=1, keepdims=True) + 1e-6
    rel = x / mean
    weekly = rel[:, : 52 * 7].reshape(len(x), 52, 7).mean(axis=2)
    dow = np.asarray(year.columns.dayofweek)
    weekend = rel[:, dow >= 5].mean(axis=1) / rel[:, dow < 5].mean(axis=1)
    months = np.asarray(year.columns.month)
    winter = rel[:, np.isin(months, (1, 2, 12))].mean(axis=1)
    summer = rel[:, np.isin(months, (6, 7, 8))].mean(axis=1)
    q = np.quantile(rel, [0.05, 0.25, 0.5, 0.75, 0.95], axis=1).T
    step = np.abs(np.diff(rel, axis=1)).mean(axis=1)
    scalars = np.column_stack([np.log(mean[:, 0]), rel.std(axis=1), weekend, winter / summer, step])
    return np.hstack([scalars, q, weekly])


def rocket_features(x: np.ndarray, kernels: int = 200, seed: int = 0) -> np.ndarray:
    """ROCKET: random kernels (length 7/9/11, normal weights, random bias and dilation),
    max and proportion of positive values of each convolution."""
    rng = np.random.default_rng(seed)
    z = (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-6)
    out = np.empty((len(z), 2 * kernels))
    for k in range(kernels):
        length = int(rng.choice([7, 9, 11]))
        weights = rng.standard_normal(length)
        weights -= weights.mean()
        bias = rng.uniform(-1, 1)
        dilation = int(2 ** rng.uniform(0, np.log2((z.shape[1] - 1) / (length - 1))))
        span = (length - 1) * dilation
        idx = np.arange(z.shape[1] - span)[:, None] + np.arange(length)[None, :] * dilation
        conv = z[:, idx] @ weights + bias
        out[:, 2 * k] = conv.max(axis=1)
        out[:, 2 * k + 1] = (conv > 0).mean(axis=1)
    return out


def evaluate(daily: pd.DataFrame, households: pd.DataFrame, seed: int = 4) -> dict[str, Any]:
    """``households``: LCLid, Acorn_grouped. Returns counts and accuracy / macro-F1 per method."""
    labels = households.set_index("LCLid")["Acorn_grouped"]
    year = year_matrix(daily)
    year = year[year.index.isin(labels[labels.isin(GROUPS)].index)]
    y = labels.loc[year.index].map({g: i for i, g in enumerate(GROUPS)}).to_numpy()
    idx_train, idx_test = train_test_split(
        np.arange(len(year)), test_size=0.3, random_state=seed, stratify=y
    )
    feats = engineered(year)
    raw = np.log1p(year.to_numpy(dtype="float64"))
    majority = np.bincount(y[idx_train]).argmax()
    predictions: dict[str, np.ndarray] = {"majority": np.full(len(idx_test), majority)}
    gbm = lgb.LGBMClassifier(
        n_estimators=300, learning_rate=0.03, num_leaves=15, subsample=0.8, subsample_freq=1,
        colsample_bytree=0.8, random_state=seed, n_jobs=1, verbose=-1,
    )  # fmt: skip
    gbm.fit(feats[idx_train], y[idx_train])
    predictions["gradient_boosting"] = np.asarray(gbm.predict(feats[idx_test]))
    conv = rocket_features(raw, seed=seed)
    svm = make_pipeline(StandardScaler(), PCA(n_components=50, random_state=seed), SVC(C=3.0))
    svm.fit(conv[idx_train], y[idx_train])
    predictions["conv_pca_svm"] = svm.predict(conv[idx_test])
    truth = y[idx_test]
    return {
        "counts": {
            "households": len(year),
            "train": len(idx_train),
            "test": len(idx_test),
            "by_group": {g: int((y == i).sum()) for i, g in enumerate(GROUPS)},
        },
        "results": {
            name: {
                "accuracy": float(accuracy_score(truth, pred)),
                "macro_f1": float(f1_score(truth, pred, average="macro")),
            }
            for name, pred in predictions.items()
        },
    }
