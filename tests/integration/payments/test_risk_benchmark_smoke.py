"""PAY-4: the risk-decision benchmark's code path at a tiny size, so it cannot rot (the
figures come from running ``benchmarks/risk_decision.py`` itself; this is not a timed test)."""

from __future__ import annotations

import pytest
from benchmarks import risk_decision


def test_pay_4_benchmark_runs_ours_and_the_naive_baseline_and_they_agree(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = risk_decision.main(
        ["--requests", "300", "--accounts", "400", "--history", "400", "--group", "40"]
    )
    assert result["requests"] == 300
    # Same decisions from memory (own uncommitted events included) as from SQL.
    assert result["agree"] == result["compared"] == 300
    assert set(result["actions"]) >= {"allow", "step_up"}
    out = capsys.readouterr().out
    for text in ("ours      decision", "baseline  naive SQL", "ratio", "p99", "NOT timed"):
        assert text in out
