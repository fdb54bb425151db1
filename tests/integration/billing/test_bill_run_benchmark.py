"""BILL-4: the bill-run benchmark's code path at a tiny size, so it cannot rot (the figures
come from running ``benchmarks/bill_run.py`` itself; this is not a timed test)."""

from __future__ import annotations

import pytest
from benchmarks import bill_run


def test_bill_4_benchmark_runs_both_implementations_and_checks_the_bills(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = bill_run.main(
        ["--accounts", "400", "--baseline-accounts", "40", "--prior-months", "2"]
    )
    assert result["bills"] == 400
    assert result["agree"] == result["sample"] == 400
    out = capsys.readouterr().out
    for text in ("baseline  row-by-row ORM:", "set-based bill run:", "ratio", "bills/s"):
        assert text in out
