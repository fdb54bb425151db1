"""BILL-2: the bulk writer's driver values, without a database — the COPY text PostgreSQL
reads and the values SQLite binds must say exactly what validation computed."""

from __future__ import annotations

import numpy as np

from safegrid.readings.frame import MISSING
from safegrid.readings.store import Column, _copy_block, _flat, _fold, _insert_sql


def test_bill_2_copy_text_escapes_and_formats_every_kind() -> None:
    columns = {
        "meter_id": Column(np.array([7, 12345678901]), "int"),
        "read_on": Column(np.array([0, 20767]), "day"),
        "total_register": Column(np.array([5, 123456789012]), "cents"),
        "kwh": Column(np.array([MISSING, -105]), "cents"),
        "estimated": Column(np.array([True, False]), "bool"),
        "flags": Column(np.array([None, "a\tb\\c\nd\re"], dtype=object), "text"),
        "entered_by": "tab\there",
        "batch_id": None,
    }
    block = _copy_block(columns, 0, 2).decode()
    assert block.split("\n") == [
        "7\t1970-01-01\t0.05\t\\N\tt\t\\N\ttab\\there\t\\N",
        "12345678901\t2026-11-10\t1234567890.12\t-1.05\tf\ta\\tb\\\\c\\nd\\re\ttab\\there\t\\N",
        "",
    ]
    assert _copy_block(columns, 1, 2).decode().startswith("12345678901\t2026-11-10\t")


def test_bill_2_sqlite_values_fold_constant_columns_into_the_statement() -> None:
    org = _fold(np.array([4, 4, 4]), "int")
    kwh = _fold(np.array([MISSING, MISSING, MISSING]), "cents")
    flags = _fold(np.array([None, "estimated", None], dtype=object), "text")
    assert (org, kwh) == (4, None)
    assert isinstance(flags, Column)
    columns = {
        "meter_id": Column(np.array([1, 2, 3]), "int"),
        "read_on": Column(np.array([20767, 20767, 20768]), "day"),
        "total_register": Column(np.array([1005, 0, 99999999]), "cents"),
        "org_unit_id": org,
        "kwh": kwh,
        "flags": flags,
        "entered_by": "o'brien",
    }
    sql = _insert_sql("register_reads", columns, 2)
    assert sql.endswith(
        "VALUES (?, ?, ?, 4, NULL, ?, 'o''brien'), (?, ?, ?, 4, NULL, ?, 'o''brien')"
    )
    assert _flat(columns, 1, 3) == [
        2,
        "2026-11-10",
        0.0,
        "estimated",
        3,
        "2026-11-11",
        999999.99,
        None,
    ]
