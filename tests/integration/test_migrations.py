"""The Alembic migrations build exactly the schema the models declare, on this backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from safegrid.bootstrap import Platform
from safegrid.tables import metadata


def test_migrations_match_models(platform: Platform) -> None:
    with platform.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
