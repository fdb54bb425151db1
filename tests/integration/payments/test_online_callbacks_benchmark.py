"""The signed-callbacks benchmark's code path at a tiny size (PAY-6, PAY-7): a real server
process, signed callbacks over HTTP, every order paid exactly once, repeats acknowledged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from benchmarks.callbacks_e2e import run


@pytest.mark.skipif(
    bool(os.environ.get("SAFEGRID_DATABASE_URL")),
    reason="the benchmark rebuilds its database; on PostgreSQL it would drop the test schema",
)
def test_pay_7_callbacks_benchmark_runs(tmp_path: Path) -> None:
    main, baseline, payments = run(
        f"sqlite:///{tmp_path / 'bench.db'}",
        callbacks=40,
        baseline=25,
        workers=1,
        concurrency=8,
        accounts=8,
    )
    assert (main.ok, main.errors) == (40, 0)
    assert baseline.errors == 0 and baseline.ok == 5
    assert payments == 65  # 40 + 20 warm-up + 5 sequential
