"""One SparkSession for the whole run: starting the JVM costs more than the tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from safegrid.analytics import engines


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    session = engines.spark_session(cores=1, partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
