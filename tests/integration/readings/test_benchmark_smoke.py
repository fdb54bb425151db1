"""The reading-import benchmark's code path at a tiny size, so it cannot rot (BILL-2)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.reading_import import run


def test_bill_2_reading_import_benchmark_runs(tmp_path: Path) -> None:
    result = run(400, 40, tmp_path)
    assert result["rows"] == 400
    assert result["rate"] > 0
    assert result["baseline_rate"] > 0
