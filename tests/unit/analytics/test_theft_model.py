"""ANA-1: a small theft model trains, ranks injected thieves above honest households it
never saw, and the commands keep their exact interface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from safegrid.analytics.artefacts import ModelArtefact
from safegrid.analytics.theft import evaluation
from safegrid.cli import app
from safegrid.config import get_settings
from tests.fixtures.consumption import daily_frame, london_csv

runner = CliRunner()


@pytest.fixture(scope="module")
def households() -> pd.DataFrame:
    return daily_frame(customers=160, days=760, seed=5)


def test_ana_1_small_model_ranks_unseen_thieves_first(households: pd.DataFrame) -> None:
    report = evaluation.evaluate(
        households, evaluation.Protocol(train_share=0.5, prevalence=0.25, rounds=60)
    )
    results = report["results"]
    assert set(results) == {"h1", "h2", "h3", "h4", "h5", "h6", "all"}
    assert results["all"]["model"]["auc"] > 0.9
    # The flat mean has no drop at all: the drop-ratio baseline cannot see it, the model can.
    assert results["h5"]["model"]["auc"] > results["h5"]["drop_ratio"]["auc"]
    artefact: ModelArtefact = report["artefact"]
    assert artefact.kind == "theft" and len(artefact.training_data_sha256) == 64


def test_ana_1_map_at_k_is_mean_precision_at_the_hits() -> None:
    labels = np.array([1, 0, 1, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.1])
    assert evaluation.map_at_k(labels, scores, 100) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert evaluation.map_at_k(np.array([0, 1]), np.array([0.9, 0.1]), 1) == 0.0


@pytest.fixture
def data_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A models directory and a shared-data directory of this test's own."""
    shared = tmp_path / "shared"
    (shared / "customers").mkdir(parents=True)
    monkeypatch.setenv("SAFEGRID_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("SAFEGRID_SHARED_DATA_DIR", str(shared))
    get_settings.cache_clear()
    yield shared
    get_settings.cache_clear()


def test_ana_1_score_trains_the_default_model_when_none_exists(
    data_dirs: Path, tmp_path: Path, households: pd.DataFrame
) -> None:
    small = households[households["customer"] <= "C000060"]
    london_csv(small, str(data_dirs / "customers" / "london_daily_kwh.csv.xz"))
    london_csv(small[small["customer"] <= "C000010"], str(tmp_path / "in.csv"))
    out = tmp_path / "ranked.csv"
    result = runner.invoke(
        app,
        ["analytics", "theft", "score", "--input", str(tmp_path / "in.csv"), "--output", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "models" / "theft.json").exists()
    ranked = pd.read_csv(out)
    assert list(ranked.columns) == ["LCLid", "score", "rank", "reason"]
    assert len(ranked) == 10 and list(ranked["rank"]) == list(range(1, 11))
    assert ranked["score"].is_monotonic_decreasing


def test_ana_1_train_then_score_with_a_named_model(
    data_dirs: Path, tmp_path: Path, households: pd.DataFrame
) -> None:
    london_csv(households[households["customer"] <= "C000060"], str(tmp_path / "train.csv.xz"))
    model = tmp_path / "m" / "theft.json"
    result = runner.invoke(
        app,
        [
            "analytics",
            "theft",
            "train",
            "--input",
            str(tmp_path / "train.csv.xz"),
            "--model",
            str(model),
        ],
    )
    assert result.exit_code == 0, result.output
    assert ModelArtefact.load(model).training_rows == 60 * 760
    thief = households[households["customer"] == "C000100"].copy()
    thief.loc[thief.index[-200:], "kwh"] = 0.0
    honest = households[households["customer"].between("C000101", "C000120")]
    london_csv(pd.concat([thief, honest]), str(tmp_path / "in.csv"))
    out = tmp_path / "ranked.csv"
    result = runner.invoke(
        app,
        ["analytics", "theft", "score", "--input", str(tmp_path / "in.csv"),
         "--output", str(out), "--model", str(model)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    top = pd.read_csv(out).iloc[0]
    assert top["LCLid"] == "C000100" and "zero" in top["reason"]


def test_ana_1_input_without_energy_sum_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("LCLid,day,kwh\nA,2013-01-01,3\n")
    result = runner.invoke(
        app,
        ["analytics", "theft", "score", "--input", str(tmp_path / "bad.csv"),
         "--output", str(tmp_path / "o.csv"), "--model", str(tmp_path / "none.json")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "energy_sum" in result.output and not (tmp_path / "o.csv").exists()
