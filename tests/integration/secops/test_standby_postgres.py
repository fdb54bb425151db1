"""OPS-4 hot standby, in the test: two local clusters (a primary and a synchronous
streaming standby), payments captured without pause, the primary killed and the standby
promoted; the application reconnects by itself, writes after the promotion work and no
acknowledged payment is lost. The drill is benchmarks/standby_promotion.py's, trimmed to a
few customers and half a second of writes; the full run prints its figures there."""

from __future__ import annotations

import pytest
from benchmarks.standby_promotion import run_drill

from safegrid.bootstrap import Platform


def test_ops_4_promoting_the_standby_loses_no_acknowledged_payment(platform: Platform) -> None:
    if platform.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: streaming replication between two clusters")
    drill = run_drill(customers=5, before_s=0.5, after=3, timeout=60)
    assert drill.before > 0
    assert drill.writes_to == drill.standby_port != drill.primary_port
    assert drill.acknowledged >= drill.before + 3
    assert drill.lost == 0
