"""The engines an Ibis pipeline runs on: DuckDB in-process by default, Apache Spark
(local mode here, a cluster in production) when one machine is not enough.

A pipeline is a function from Ibis tables to an Ibis table; it never names an engine.
``load`` puts a pandas frame into the engine, ``collect`` brings a result back."""

from __future__ import annotations

import enum
import tempfile
from collections.abc import Iterator
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa


class Engine(enum.StrEnum):
    DUCKDB = "duckdb"
    SPARK = "spark"


def spark_session(cores: int = 2, partitions: int | None = None) -> Any:
    """A local Spark session sized for one small machine: few shuffle partitions (default
    4 per core), because the default 200 turns a small job into hundreds of tiny tasks."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("safegrid-analytics")
        .config("spark.sql.shuffle.partitions", str(partitions or cores * 4))
        .config("spark.default.parallelism", str(partitions or cores * 4))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="safegrid-spark-"))
        .config("spark.driver.memory", "4g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def connect(engine: Engine | str = Engine.DUCKDB, *, spark: Any = None) -> Any:
    """An Ibis backend. ``spark`` reuses a running SparkSession (tests share one)."""
    engine = Engine(engine)
    if engine == Engine.DUCKDB:
        return ibis.duckdb.connect()
    return ibis.pyspark.connect(spark if spark is not None else spark_session())


def load(
    backend: Any, name: str, frame: pd.DataFrame, schema: pa.Schema | None = None
) -> ibis.Table:
    """Register ``frame`` as table ``name`` in the backend and return it. Arrow is the
    hand-over format, so neither engine guesses types from pandas; ``schema`` types the
    columns pandas cannot (an empty frame, a column of NULLs). On Spark the table is a
    temporary view: a managed table would be written to the warehouse directory."""
    if schema is not None:
        frame = frame[schema.names].copy()
        for field in schema:
            if pa.types.is_date(field.type):  # all-missing dates arrive as float NaN
                frame[field.name] = pd.to_datetime(frame[field.name])
    arrow = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    if backend.name == "pyspark":
        backend._session.createDataFrame(arrow.to_pandas()).createOrReplaceTempView(name)
        return backend.table(name)
    return backend.create_table(name, arrow, overwrite=True)


def collect(expr: ibis.Table) -> pd.DataFrame:
    return expr.to_pyarrow().to_pandas()


def batches(expr: ibis.Table, rows: int) -> Iterator[pa.RecordBatch]:
    """``expr``'s rows as Arrow record batches of about ``rows`` rows, without holding the
    whole result. DuckDB is asked directly: Ibis 12 streams it through a cursor call that
    DuckDB 2 no longer has."""
    backend = ibis.get_backend(expr)
    if backend.name == "duckdb":
        reader = backend.con.sql(str(backend.compile(expr))).to_arrow_reader(rows)
        yield from reader
        return
    yield from expr.to_pyarrow_batches(chunk_size=rows)
