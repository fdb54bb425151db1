"""ADR 0017: the per-test reset empties only the tables a test wrote to, yet leaves the
state ADR 0004 promised every test — every table empty except ``data_keys``, a fresh
audit chain, ids starting at 1 (also where the only insert rolled back, which moves a
PostgreSQL sequence without leaving a row)."""

from __future__ import annotations

from sqlalchemy import func, insert, select, text, update

from safegrid.bootstrap import Platform
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.platform.db import Base
from safegrid.platform.job_runs import JobRun, RunStatus
from safegrid.security.audit import GENESIS
from safegrid.security.models import AuditHead
from tests.fixtures.databases import KEPT_TABLES, Reset


def _unit(code: str) -> dict[str, object]:
    return {"code": code, "name": code, "name_en": code, "kind": UnitKind.PROVINCE, "path": code}


def _job_run() -> dict[str, object]:
    return {
        "name": "test.reset",
        "trigger": "cli",
        "triggered_by": "tests",
        "status": RunStatus.SUCCEEDED,
        "started_at": clock.now(),
    }


def test_reset_leaves_empty_tables_fresh_chain_and_ids_from_one(
    platform: Platform, database_reset: Reset
) -> None:
    with platform.engine.connect() as conn:
        data_keys = conn.scalar(text("SELECT COUNT(*) FROM data_keys"))
    assert data_keys, "the template carries the first data key"
    with platform.engine.begin() as conn:
        conn.execute(insert(OrgUnit), [_unit("a"), _unit("b")])
        conn.execute(update(AuditHead).values(seq=7, last_hash="x" * 64))
    with platform.engine.connect() as conn:
        rolled_back = conn.begin()
        conn.execute(insert(JobRun).values(**_job_run()))
        rolled_back.rollback()

    database_reset()

    with platform.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            count = conn.scalar(select(func.count()).select_from(table))
            if table.name in KEPT_TABLES:
                assert count == data_keys, table.name
            elif table.name == "audit_head":
                head = conn.execute(select(AuditHead.id, AuditHead.seq, AuditHead.last_hash))
                assert head.all() == [(1, 0, GENESIS)]
            else:
                assert count == 0, table.name
    with platform.engine.begin() as conn:
        unit_id = conn.scalar(insert(OrgUnit).values(**_unit("c")).returning(OrgUnit.id))
        run_id = conn.scalar(insert(JobRun).values(**_job_run()).returning(JobRun.id))
    assert (unit_id, run_id) == (1, 1)
