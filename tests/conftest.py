"""Test database: SQLite by default, PostgreSQL when SAFEGRID_DATABASE_URL is set (CI runs
both). The schema is built once with the real Alembic migrations; every test starts from
empty tables and a fresh audit chain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.platform import clock
from safegrid.platform.db import Base
from safegrid.security.audit import GENESIS

pytest_plugins = ["tests.fixtures.world", "tests.fixtures.bills", "tests.fixtures.online"]

# No test starts the in-server job scheduler, including servers tests start as processes.
os.environ["SAFEGRID_SCHEDULER_ENABLED"] = "false"


def _test_settings(tmp_dir: Path) -> Settings:
    url = os.environ.get("SAFEGRID_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.db'}"
    return Settings(
        env="test",
        database_url=url,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        secret_key="test-secret-key-not-for-production-use",
        scheduler_enabled=False,
    )


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    settings = _test_settings(tmp_path_factory.mktemp("db"))
    p = Platform(settings)
    if not settings.is_sqlite:
        with p.engine.begin() as conn:  # a throwaway database: start from nothing
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    p.migrate()
    set_platform(p)
    yield p
    set_platform(None)
    p.dispose()


@pytest.fixture(autouse=True)
def _clean_db(request: pytest.FixtureRequest) -> Iterator[None]:
    if "platform" not in request.fixturenames:
        yield
        return
    p: Platform = request.getfixturevalue("platform")
    set_platform(p)
    yield
    clock.set_clock(clock.SystemClock())
    # Data keys outlive the tests like the schema does: values encrypted under a key
    # must stay readable by every later test that holds the same key ring.
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "data_keys"]
    with p.engine.begin() as conn:
        if p.settings.is_sqlite:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            conn.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
        conn.execute(
            text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, :g)"), {"g": GENESIS}
        )
