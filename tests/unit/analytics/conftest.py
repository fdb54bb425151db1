"""One SparkSession for the whole run: starting the JVM costs more than the tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safegrid.analytics import engines


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    session = engines.spark_session(cores=1, partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """These tests compute on files and dataframes and never open the database: the
    PostgreSQL stage of `make test` would repeat them (and a JVM start) to prove nothing."""
    if not os.environ.get("SAFEGRID_DATABASE_URL", "").startswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="database-independent; run in the SQLite stage")
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(skip)
