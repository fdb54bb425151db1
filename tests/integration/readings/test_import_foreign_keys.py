"""BILL-2 / ADR 0005: on SQLite a file import writes without the per-row foreign-key
probes (it has verified every reference itself), and the connection it used enforces
foreign keys again afterwards — after a commit, a rejected file, a refused repeat or an
exception half-way through the write.

These tests need a pool that hands the *same* DBAPI connection out again, so they use
their own in-memory SQLite platform (a file database is opened and closed per checkout).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from benchmarks.reading_import import DAYS, FIRST_DAY, TODAY, build_utility, make_csv
from sqlalchemy import Engine, event, func, select

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.platform import clock
from safegrid.platform.db import make_engine
from safegrid.platform.errors import ConflictError
from safegrid.readings import imports, store
from safegrid.readings.models import ImportBatch, RegisterRead
from safegrid.security.actor import Actor
from tests.fixtures.scratch_sqlite import SchemaCopy

BOGUS_READ = (
    "INSERT INTO register_reads (meter_id, read_on, total_register, estimated, source,"
    " entered_by, org_unit_id) VALUES (999999, '2026-11-02', 1, 0, 'import', 'x', 1)"
)


@pytest.fixture
def pooled(migrated_schema: SchemaCopy) -> Iterator[tuple[Platform, bytes]]:
    clock.set_clock(clock.FixedClock(TODAY))
    p = Platform(
        Settings(
            env="test",
            database_url="sqlite:///:memory:",  # one connection, kept by the pool
            secret_key="test-secret-key-not-for-production-use",
            scheduler_enabled=False,
        )
    )
    try:
        migrated_schema(p)
        p.keyring.reload()  # loaded now: later, one connection is busy with a transaction
        state = build_utility(p, 10)
        yield p, make_csv(state, 10 * DAYS, FIRST_DAY, DAYS)
    finally:
        p.dispose()
        clock.set_clock(clock.SystemClock())


def _connections(engine: Engine) -> list[Any]:
    """The DBAPI connection of every transaction begun from now on."""
    seen: list[Any] = []
    event.listen(engine, "begin", lambda conn: seen.append(conn.connection.dbapi_connection))
    return seen


def _assert_enforced(engine: Engine, used: list[Any]) -> None:
    """The pooled connection the import used, checked out again *without* beginning a
    transaction (so only the pool's check-in can have restored it), refuses a reading
    of a meter that does not exist."""
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert used and all(c is dbapi for c in used)  # really the same connection
        assert dbapi.execute("PRAGMA foreign_keys").fetchone() == (1,)
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            dbapi.execute(BOGUS_READ)
    finally:
        raw.close()


def _import(p: Platform, data: bytes, name: str = "r.csv") -> Any:
    return imports.do_import_readings(p.uow(Actor.system("test", "cli")), name, data)


def _reads(p: Platform) -> int:
    with p.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(RegisterRead)) or 0)


def test_bill_2_import_writes_without_fk_probes_then_enforces_them_again(
    pooled: tuple[Platform, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, data = pooled
    used = _connections(p.engine)
    during: list[int] = []
    write = store.write_register_reads

    def spying(conn: Any, *args: Any, **kwargs: Any) -> int:
        during.append(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())
        return write(conn, *args, **kwargs)

    monkeypatch.setattr(store, "write_register_reads", spying)
    before = _reads(p)
    assert _import(p, data).accepted
    assert during == [0]
    _assert_enforced(p.engine, used)
    assert _reads(p) == before + 10 * DAYS


def test_bill_2_rejected_or_repeated_file_leaves_fk_checks_on(
    pooled: tuple[Platform, bytes],
) -> None:
    p, data = pooled
    used = _connections(p.engine)
    bad = data.replace(b"ZJ0000000003,", b"ZJ0000009999,", 1)  # an unknown meter
    assert not _import(p, bad).accepted
    _assert_enforced(p.engine, used)
    assert _import(p, data).accepted
    with pytest.raises(ConflictError):
        _import(p, data, "again.csv")
    _assert_enforced(p.engine, used)


def test_bill_2_exception_while_writing_rolls_back_and_leaves_fk_checks_on(
    pooled: tuple[Platform, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, data = pooled
    used = _connections(p.engine)
    write = store.write_register_reads

    def failing(*args: Any, **kwargs: Any) -> int:
        write(*args, **kwargs)
        raise OSError("disk went away")

    monkeypatch.setattr(store, "write_register_reads", failing)
    before = _reads(p)
    with pytest.raises(OSError, match="disk went away"):
        _import(p, data)
    _assert_enforced(p.engine, used)
    assert _reads(p) == before  # nothing half-written
    with p.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_bill_2_next_transaction_on_the_same_connection_gets_fk_checks_back() -> None:
    """Without a check-in in between, the next transaction's BEGIN restores them."""
    engine = make_engine("sqlite:///:memory:")
    try:
        with engine.connect() as conn:
            conn.execution_options(sqlite_references_checked=True)
            with conn.begin():
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
            conn.execution_options(sqlite_references_checked=False)
            with conn.begin():
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
