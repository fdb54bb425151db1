"""ANA-4 the seed's weighting model: ω and λ are learned from a label (not guessed), the
learned total scores held-out accounts better than equal weights, the matching degree is
Σ_i λ_i·m_i and the neighbour search returns the accounts a brute-force scan ranks best."""

from __future__ import annotations

import numpy as np
import pandas as pd

from safegrid.analytics.artefacts import ModelArtefact
from safegrid.analytics.profile.groups import FEATURES, GROUPS
from safegrid.analytics.profile.similar import projection, similar
from safegrid.analytics.profile.weights import ProfileWeights, equal, learn, train


def _accounts(n: int, seed: int = 3) -> tuple[pd.DataFrame, pd.Series]:
    """Generated accounts: arrears follow the share of bills paid late and (reversed) the
    share paid online; every other feature is noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.random((n, len(FEATURES))), columns=list(FEATURES))
    frame.index = pd.Index(range(1000, 1000 + n), name="account_id")
    frame["number"] = [f"{i:010d}" for i in frame.index]
    frame["org_unit_id"] = 1
    frame["category"] = rng.choice(["residential", "commercial"], n)
    risk = 2.5 * frame["late_share"] - 1.5 * frame["online_share"] + rng.normal(0, 0.4, n)
    label = pd.Series((risk > risk.median()).astype(int).to_numpy(), index=frame.index)
    return frame, label


def test_ana_4_weights_are_learned_shares_that_find_the_signal() -> None:
    frame, label = _accounts(800)
    w = learn(frame, label)
    keys = np.asarray(w.group_of)
    omega = pd.Series(w.omega, index=w.features)
    assert (omega >= 0).all() and abs(sum(w.lam.values()) - 1) < 1e-6
    for g in GROUPS:
        assert abs(omega[keys == g.key].sum() - 1) < 1e-6
    assert omega[keys == "business"].idxmax() == "late_share"
    assert omega[keys == "online"].idxmax() == "online_share"
    assert w.sign[w.features.index("online_share")] == -1  # more online, less arrears
    assert w.lam["own"] < min(w.lam["business"], w.lam["online"])
    total = w.total(frame)
    assert total.between(0, 1).all()
    assert total[label == 1].mean() > total[label == 0].mean()
    guessed = equal(w).total(frame)
    assert guessed.corr(label.astype(float)) < total.corr(label.astype(float))


def test_ana_4_artefact_keeps_the_weights_and_the_held_out_comparison(tmp_path) -> None:
    frame, label = _accounts(300)
    artefact = train(frame, label, {"label_period": "2026-10"})
    auc = artefact.evaluation["roc_auc"]
    assert auc["learned_weights"] > auc["equal_weights"] + 0.05
    assert artefact.evaluation["test"] == 90
    back = ModelArtefact.load(artefact.save(tmp_path / "profile.json"))
    assert back.kind == "profile" and back.version == artefact.version
    assert ProfileWeights.from_json(back.model) == ProfileWeights.from_json(artefact.model)


def test_ana_4_similar_customers_by_total_matching_degree() -> None:
    frame, label = _accounts(300)
    w = learn(frame, label)
    me = int(frame.index[17])
    found = similar(w, frame, me, k=5)
    assert len(found) == 5 and me not in {m.account_id for m in found}
    # Brute force: M = 1 − Σ_i λ_i Σ_j ω_j |ΔU_ij| against every other account.
    u = w.scaled(frame)
    lam = np.array([w.lam[g] for g in w.group_of])
    degree = 1 - (np.abs(u - u[17]) * np.asarray(w.omega) * lam).sum(axis=1)
    degree[17] = -1
    best = frame.index[np.argsort(-degree)[:5]]
    assert [m.account_id for m in found] == list(best)
    for m in found:
        assert abs(sum(w.lam[g] * v for g, v in m.groups.items()) - m.degree) < 1e-3
    assert found[0].degree >= found[-1].degree


def test_ana_4_tsne_map_of_the_weighted_profiles() -> None:
    frame, label = _accounts(90)
    w = learn(frame, label)
    xy = projection(w, frame)
    assert len(xy) == 90 and np.isfinite(xy[["x", "y"]].to_numpy()).all()
    assert set(xy["category"]) <= {"residential", "commercial"}
