"""The DATA-2 benchmarks' code paths at a tiny size (the figures come from the scripts)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # worker processes pickle functions by module name
    spec.loader.exec_module(module)
    return module


def test_data_2_sm4_benchmark_runs_and_prints_its_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("gmssl")
    figures = _load("sm4_fields").main(
        ["--n", "300", "--baseline", "50", "--processes", "1", "--runs", "1"]
    )
    assert figures["single"] > figures["baseline"] > 0
    assert figures["bulk"] > figures["baseline"]
    assert figures["bulk_decrypt"] > figures["baseline_decrypt"] > 0
    assert "ratio" in capsys.readouterr().out


def test_data_2_blind_index_benchmark_runs_and_prints_its_ratio(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = _load("blind_index_lookup").main(["--customers", "500", "--scan", "200"])
    assert 0 < figures["median_ms"] < figures["scan_ms"]
    assert "ratio" in capsys.readouterr().out
