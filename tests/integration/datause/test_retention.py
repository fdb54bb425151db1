"""AUD-4: access logs are kept at least two years; the retention job deletes only older
rows and refuses a retention shorter than two years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from safegrid.datause.models import AccessLog
from safegrid.datause.retention import run_access_log_retention
from safegrid.platform import clock, jobs
from safegrid.platform.errors import ValidationProblem
from safegrid.security.models import AuditEntry
from tests.fixtures.world import World

NOW = datetime(2028, 6, 1, 2, 0, tzinfo=UTC)


def _seed(world: World, ages_days: list[float]) -> None:
    rows = [
        {
            "at": NOW - timedelta(days=age),
            "staff_id": 1,
            "staff_name": "agent",
            "channel": "web",
            "ip": None,
            "customer_id": 1,
            "field": "id_number",
            "grant_id": 1,
            "org_unit_id": world.units["hallA"],
        }
        for age in ages_days
    ]
    with world.platform.engine.begin() as conn:
        conn.execute(insert(AccessLog), rows)


def _ages(world: World) -> list[float]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        ats = uow.session.scalars(select(AccessLog.at).order_by(AccessLog.at.desc()))
        return [round((NOW - at).total_seconds() / 86400, 3) for at in ats]


def test_aud_4_retention_deletes_only_rows_older_than_retention(world: World) -> None:
    clock.set_clock(clock.FixedClock(NOW))
    _seed(world, [1, 400, 730, 800.999, 801.001, 1500])
    result = run_access_log_retention(world.platform, retention_days=801)
    assert result["deleted"] == 2
    assert _ages(world) == [1, 400, 730, 800.999]
    with world.platform.uow(world.system(), readonly=True) as uow:
        entry = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.action == "datause.access_log_retention"
    assert entry.after is not None and entry.after["deleted"] == 2


def test_aud_4_two_year_old_rows_survive_the_minimum_retention(world: World) -> None:
    clock.set_clock(clock.FixedClock(NOW))
    _seed(world, [730.9, 731.1])
    assert run_access_log_retention(world.platform, retention_days=731)["deleted"] == 1
    assert _ages(world) == [730.9]


def test_aud_4_retention_under_two_years_refused(world: World) -> None:
    clock.set_clock(clock.FixedClock(NOW))
    _seed(world, [100, 500, 729])
    with pytest.raises(ValidationProblem) as err:
        run_access_log_retention(world.platform, retention_days=365)
    assert err.value.field == "retention_days"
    assert len(_ages(world)) == 3


def test_aud_4_retention_job_is_registered_and_runs(world: World) -> None:
    clock.set_clock(clock.FixedClock(NOW))
    _seed(world, [10, 5000])
    run = jobs.run_job(world.platform, "datause.access_log_retention", trigger="manual")
    assert run.status == "succeeded", run.error
    assert _ages(world) == [10]
