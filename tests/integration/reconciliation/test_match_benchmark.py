"""REC-2: the matching benchmark's code path at a tiny size, so it cannot rot: it seeds,
runs the month twice, asserts the planted colours, runs the nested-loop baseline and prints
its figures (they come from running ``benchmarks/reconciliation_match.py`` itself; this is
not a timed test). Always on a scratch SQLite file: the benchmark empties a PostgreSQL
schema it is given."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import reconciliation_match

from safegrid.reconciliation import matching


def test_rec_2_benchmark_runs_checks_the_colours_and_prints_its_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    read_groups = matching._read_groups
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    result = reconciliation_match.main(["--rows", "600", "--baseline", "60", "--database-url", url])
    assert result["ratio"] > 0
    out = capsys.readouterr().out
    for text in (
        "first run phases (wall|client CPU|server CPU s): read kept decisions",
        "re-run (idempotent)",
        "ratio",
    ):
        assert text in out
    assert matching._read_groups is read_groups  # the phase timers are taken off again
