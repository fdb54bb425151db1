"""Test database: SQLite by default, PostgreSQL when SAFEGRID_DATABASE_URL is set (CI runs
both). The schema is built once per run with the real Alembic migrations into a template
that each pytest-xdist worker clones; every test starts from empty tables and a fresh
audit chain (tests/fixtures/databases.py, ADR 0017)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.platform import clock
from tests.fixtures import databases

pytest_plugins = [
    "tests.fixtures.world",
    "tests.fixtures.bills",
    "tests.fixtures.online",
    "tests.fixtures.csrf",
    "tests.fixtures.hall",
    "tests.fixtures.commit_gate",
    "tests.fixtures.stages",
    "tests.fixtures.scratch_sqlite",
]

# pytest-xdist workers start with COLUMNS=80 and LINES=24 set, which fixes the width of
# every Rich console created afterwards and truncates the CLI tables tests read; a run in
# one process leaves them unset. Workers and single runs must print alike.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
# No test starts the in-server job scheduler, including servers tests start as processes.
os.environ["SAFEGRID_SCHEDULER_ENABLED"] = "false"
# The lowest Argon2 cost argon2-cffi accepts, for the test platform and for every process
# a test starts; production defaults (config.Settings) are untouched.
TEST_ARGON2_TIME_COST, TEST_ARGON2_MEMORY_KIB = 1, 8
os.environ.setdefault("SAFEGRID_ARGON2_TIME_COST", str(TEST_ARGON2_TIME_COST))
os.environ.setdefault("SAFEGRID_ARGON2_MEMORY_KIB", str(TEST_ARGON2_MEMORY_KIB))


def _test_settings(url: str, tmp_dir: Path) -> Settings:
    return Settings(
        env="test",
        database_url=url,
        argon2_time_cost=TEST_ARGON2_TIME_COST,
        argon2_memory_kib=TEST_ARGON2_MEMORY_KIB,
        secret_key="test-secret-key-not-for-production-use",
        scheduler_enabled=False,
        # Scratch, AMI and archive files of this worker, never the repository's var/
        # (workers run side by side).
        tmp_dir=tmp_dir / "tmp",
        ami_dir=tmp_dir / "ami",
        audit_archive_dir=tmp_dir / "audit-archive",
    )


@pytest.fixture(scope="session")
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    own_dir = tmp_path_factory.mktemp("db")
    url = databases.worker_database_url(request, tmp_path_factory, own_dir)
    if not url.startswith("sqlite"):
        # Anything that reads the environment (a CLI sub-command, a server process a test
        # starts) must reach this worker's database, not the cluster's base database.
        os.environ["SAFEGRID_DATABASE_URL"] = url
        os.environ["PGDATABASE"] = make_url(url).database or ""
    p = Platform(_test_settings(url, own_dir))
    set_platform(p)
    with databases.sqlite_unsynced(p.engine):
        yield p
        set_platform(None)
        p.dispose()
    databases.drop_database(url)


@pytest.fixture(scope="session")
def database_reset(platform: Platform) -> databases.Reset:
    return databases.Reset(platform.engine)


@pytest.fixture(autouse=True)
def _clean_db(request: pytest.FixtureRequest) -> Iterator[None]:
    if "platform" not in request.fixturenames:
        yield
        return
    p: Platform = request.getfixturevalue("platform")
    reset: databases.Reset = request.getfixturevalue("database_reset")
    set_platform(p)
    yield
    clock.set_clock(clock.SystemClock())
    reset()
