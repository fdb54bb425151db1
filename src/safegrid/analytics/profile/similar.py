"""Similar customers by total matching degree, and the t-SNE map of the profiles.

Matching degree between accounts a and b, per group and in total:
m_i = 1 − Σ_j ω_j·|U_ij(a) − U_ij(b)| and M = Σ_i λ_i·m_i = 1 − Σ_i λ_i Σ_j ω_j·|ΔU_ij|,
so the k best matches are the k nearest rows under the Manhattan distance of the
coordinates U·λ·ω (ProfileWeights.coordinates), found by a scikit-learn neighbour search
over the accounts the caller may see."""

from __future__ import annotations

import dataclasses
from typing import Final

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from safegrid.analytics.profile.weights import ProfileWeights

MAP_POINTS: Final = 300  # a page's t-SNE map: enough to see groups, under a second to fit


@dataclasses.dataclass(frozen=True)
class Match:
    account_id: int
    number: str
    org_unit_id: int
    category: str
    degree: float  # total matching degree M ∈ [0, 1]
    groups: dict[str, float]  # m_i per group
    total_score: float  # F(U) of the match


def similar(weights: ProfileWeights, frame: pd.DataFrame, account_id: int, k: int) -> list[Match]:
    """The ``k`` accounts of ``frame`` that match ``account_id`` best, best first (ties by
    account number). KeyError when the account is not in the frame."""
    row = frame.index.get_loc(account_id)
    coords = weights.coordinates(frame)
    n = min(k + 1, len(frame))
    # A few more than asked, so ties at the k-th distance are broken by number below.
    from sklearn.neighbors import NearestNeighbors  # here: see weights._nonnegative

    search = NearestNeighbors(n_neighbors=min(n + 5, len(frame)), metric="manhattan")
    distance, index = search.fit(coords).kneighbors(coords[[row]])
    u = weights.scaled(frame)
    omega, keys = np.asarray(weights.omega), np.asarray(weights.group_of)
    totals = weights.total(frame)
    found = []
    for d, i in zip(distance[0], index[0], strict=True):
        if i == row:
            continue
        diff = np.abs(u[i] - u[row]) * omega
        found.append(
            Match(
                account_id=int(frame.index[i]),
                number=str(frame["number"].iloc[i]),
                org_unit_id=int(frame["org_unit_id"].iloc[i]),
                category=str(frame["category"].iloc[i]),
                degree=round(1.0 - float(d), 4),
                groups={g: round(1.0 - float(diff[keys == g].sum()), 4) for g in weights.lam},
                total_score=round(float(totals.iloc[i]), 4),
            )
        )
    found.sort(key=lambda m: (-m.degree, m.number))
    return found[:k]


def projection(weights: ProfileWeights, frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A 2-D t-SNE map of at most MAP_POINTS accounts (a seeded sample) in the weighted
    profile space: index account_id; columns x, y, category, total."""
    if len(frame) < 5:
        return pd.DataFrame(columns=["x", "y", "category", "total"])
    sample = frame.sample(min(MAP_POINTS, len(frame)), random_state=seed)
    coords = weights.coordinates(sample)
    from sklearn.manifold import TSNE

    tsne = TSNE(
        n_components=2,
        perplexity=min(30.0, (len(sample) - 1) / 3),
        metric="manhattan",
        init="random",
        random_state=seed,
        max_iter=400,
    )
    # One thread: t-SNE's OpenMP gradient on a busy 2-core server ran 15× slower with a
    # thread per core fighting the other processes than on one thread.
    with threadpool_limits(1):
        xy = tsne.fit_transform(coords)
    return pd.DataFrame(
        {
            "x": xy[:, 0].round(3),
            "y": xy[:, 1].round(3),
            "category": sample["category"].to_numpy(),
            "total": weights.total(sample).round(4).to_numpy(),
        },
        index=sample.index,
    )
