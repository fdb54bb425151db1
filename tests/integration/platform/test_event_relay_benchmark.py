"""The relay benchmark's code path at a tiny size, so it cannot rot (the figures come from
running ``benchmarks/event_relay.py`` itself; not a timed test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import event_relay


def test_hall_8_relay_benchmark_runs_batched_two_relays_and_the_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rates = event_relay.main(
        ["--events", "600", "--baseline", "10", "--database-url", f"sqlite:///{tmp_path}/r.db"]
    )
    assert rates["batched"] > 0 and rates["two_relays"] > 0 and rates["baseline"] > 0
    out = capsys.readouterr().out
    for text in ("batches of 500", "two relays at once", "one event per round", "ratio"):
        assert text in out
