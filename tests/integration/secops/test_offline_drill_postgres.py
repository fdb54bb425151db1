"""OPS-6: the typhoon drill as ``safegrid offline drill`` runs it (a hall and its pair of
staff found, customers with open bills picked, the node registered and claimed with its
one-time code over the cuttable link, the link cut mid-day, one answer lost) — with the
central database on PostgreSQL, where the sync's row locks and unique keys are the real
thing. On SQLite the same drill runs from the CLI on a scratch copy of the database, and
test_offline_hall.py runs it in both stages."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from safegrid.bootstrap import Platform
from safegrid.secops.offline import typhoon
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import World


@pytest.fixture
def postgres(platform: Platform) -> None:
    # Asked for first, so SQLite skips before the world is built.
    if platform.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL central database only (SQLite: `safegrid offline drill`)")


@pytest.fixture
def desk(world: World, bills: Bills) -> Iterator[Desk]:
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


def test_ops_6_typhoon_drill_with_a_postgresql_central_database(
    postgres: None, desk: Desk, tmp_path: Path
) -> None:
    amounts = ("36.00", "48.50", "12.30", "90.00")
    for amount in amounts:
        desk.account(bill=amount)
    report = typhoon.drill_on(desk.world.platform, tmp_path / "node", len(amounts) - 1)
    assert report.sync_while_down == "queued" and report.batch_replay_status == 409
    assert report.offline_taken == 3 and report.in_ledger_once == 3, report
    assert not report.lost and not report.doubled and not report.numbers_changed
    assert report.gapless and report.ok
    # The second customer's bill was also paid online while the hall was cut off.
    assert report.conflicts == 1 and report.open_cases == 1
    assert report.credited in {Decimal(a) for a in amounts}
