"""Migration 0006 on a database with data (issue 11): counters continue the numbers already
issued; duplicate archives of one person stop the upgrade with their customer numbers
listed, before anything is changed."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from safegrid.bootstrap import Platform, alembic_config

NOW = "2026-01-01 00:00:00"


@pytest.fixture
def scratch_url(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of the same backend, migrated by the test itself."""
    if platform.settings.is_sqlite:
        yield f"sqlite:///{tmp_path_factory.mktemp('mig') / 'scratch.db'}"
        return
    name = f"safegrid_mig_{secrets.token_hex(4)}"
    admin = platform.engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield platform.engine.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _seed_0005(url: str, customers: list[tuple[str, str | None, str | None]]) -> None:
    """An org unit, the given customers (number, id_number stored, its blind index) and an
    account per customer numbered like the service did (A + unit + serial)."""
    command.upgrade(alembic_config(url), "0005")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO org_units (id, code, name, name_en, kind, path) "
                "VALUES (1, 'prov', '浙江省', 'prov', 'province', '/1/')"
            )
        )
        for i, (number, stored, bidx) in enumerate(customers, start=1):
            conn.execute(
                text(
                    "INSERT INTO customers (id, number, kind, name, id_number, id_number_bidx, "
                    "address, status, is_key_customer, created_at, updated_at, org_unit_id) "
                    "VALUES (:i, :n, 'resident', '客户', :s, :b, '浙江省杭州市', 'active', "
                    ":f, :t, :t, 1)"
                ),
                {"i": i, "n": number, "s": stored, "b": bidx, "f": False, "t": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO accounts (id, number, customer_id, tariff_category, status, "
                    "opened_on, org_unit_id) VALUES (:i, :n, :i, 'residential', 'active', "
                    "'2026-01-01', 1)"
                ),
                {"i": i, "n": f"A0001{i * 3:07d}"},
            )
    engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_bill_1_upgrade_stops_listing_customers_that_share_an_id_number(scratch_url: str) -> None:
    _seed_0005(
        scratch_url,
        [
            ("K00010000001", "sm4gcm$1$aaa", "a" * 32),
            ("K00010000002", "sm4gcm$1$bbb", "a" * 32),  # same person as ...001
            ("K00010000003", "sm4gcm$1$ccc", "c" * 32),
            ("K00010000004", "33018319900101123X", None),  # plaintext rows from 0002
            ("K00010000005", "33018319900101123x", None),  # the same ID number
            ("K00010000006", None, None),  # an enterprise: no ID number
            ("K00010000007", None, None),
        ],
    )
    with pytest.raises(RuntimeError) as stopped:
        command.upgrade(alembic_config(scratch_url), "0006")
    message = str(stopped.value)
    assert "2 ID numbers have more than one customer archive" in message
    assert "K00010000001, K00010000002; K00010000004, K00010000005" in message
    assert "K00010000003" not in message and "K00010000006" not in message
    assert "身份证号" in message
    assert "number_counters" not in _tables(scratch_url)  # nothing half-done


def test_bill_1_upgrade_seeds_counters_from_the_numbers_already_issued(scratch_url: str) -> None:
    _seed_0005(
        scratch_url,
        [
            ("K00010000012", "sm4gcm$1$aaa", "a" * 32),
            ("K00010000003", "sm4gcm$1$bbb", "b" * 32),
            ("33018310000001", None, None),  # the demo's own numbering: not a K prefix
        ],
    )
    command.upgrade(alembic_config(scratch_url), "0006")
    engine = create_engine(scratch_url)
    try:
        with engine.connect() as conn:
            counters = dict(
                conn.execute(text("SELECT prefix, last_value FROM number_counters")).all()
            )
            assert counters == {"K0001": 12, "A0001": 9}  # accounts A0001…003/006/009
        with engine.begin() as conn, pytest.raises(IntegrityError):
            conn.execute(
                text("UPDATE customers SET id_number_bidx = :b WHERE id = 2"), {"b": "a" * 32}
            )
    finally:
        engine.dispose()
