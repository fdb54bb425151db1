"""AUD-2: the audit-verify benchmark's code path at a tiny size, so it cannot rot (the
figures come from running ``benchmarks/audit_verify.py`` itself; not a timed test)."""

from __future__ import annotations

import pytest
from benchmarks import audit_verify


def test_aud_2_verify_benchmark_runs_ours_and_the_baseline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rates = audit_verify.main(["--entries", "2000", "--baseline", "200"])
    assert rates["ours"] > 0 and rates["baseline"] > 0
    out = capsys.readouterr().out
    for text in ("safegrid verify", "naive ORM verify", "ratio", "one process"):
        assert text in out
