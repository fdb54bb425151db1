"""BILL-2: the reading rules, on columns built in memory (no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from safegrid.readings.context import Closed, Context, Meters, epoch_day, month_of_period
from safegrid.readings.files import frame_from_records
from safegrid.readings.frame import MISSING
from safegrid.readings.validation import Validated, validate

TODAY = date(2026, 11, 15)


def _meters(*specs: dict[str, Any]) -> Meters:
    def col(key: str, default: Any) -> list[Any]:
        return [s.get(key, default) for s in specs]

    def c(key: str) -> np.ndarray:
        return np.array(
            [MISSING if v is None else round(v * 100) for v in col(key, None)], np.int64
        )

    return Meters(
        asset_no=pa.array(col("asset", "M1"), pa.string()),
        meter_id=np.arange(1, len(specs) + 1, dtype=np.int64),
        multiplier=np.array(col("multiplier", 1), np.int64),
        is_tou=np.array(col("tou", False), bool),
        org_unit_id=np.array(col("unit", 7), np.int64),
        installed_day=np.array([epoch_day(d) for d in col("installed", date(2020, 1, 1))]),
        path=col("path", "/1/7/"),
        prev_day=np.array(
            [MISSING if d is None else epoch_day(d) for d in col("prev_day", date(2026, 10, 31))],
            np.int64,
        ),
        prev_total_c=c("prev"),
        prev_peak_c=c("prev_peak"),
        prev_valley_c=c("prev_valley"),
        baseline_c=np.array(
            [np.nan if v is None else v * 100 for v in col("baseline", None)], float
        ),
    )


def _run(
    rows: list[dict[str, str]], *meters: dict[str, Any], closed: Closed | None = None
) -> tuple[Validated, Any]:
    frame, problems = frame_from_records(rows)
    ctx = Context(_meters(*meters), closed or Closed(set(), []), epoch_day(TODAY))
    return validate(frame, problems, ctx), problems


def _row(total: str, day: str = "2026-11-10", asset: str = "M1", **more: str) -> dict[str, str]:
    return {"asset_no": asset, "read_on": day, "total": total, **more}


def _codes(problems: Any) -> list[tuple[int, str, str]]:
    return [(p.row, p.field, p.code) for p in problems.listed()]


def test_bill_2_multiplier_applied_to_register_difference() -> None:
    reads, problems = _run([_row("150.00")], {"prev": 100, "multiplier": 40})
    assert _codes(problems) == []
    assert reads.kwh_c.tolist() == [200000]  # (150 − 100) × 40 = 2000.00 kWh


def test_bill_2_negative_consumption_rejected_with_row_and_field() -> None:
    _, problems = _run([_row("400.00")], {"prev": 500})
    assert _codes(problems) == [(2, "total", "negative")]
    assert "400.00" in problems.listed()[0].message
    assert "500.00" in problems.listed()[0].message


def test_bill_2_register_rollover_accepted_with_wrapped_consumption_and_flagged() -> None:
    reads, problems = _run([_row("10.00")], {"prev": 99990.00, "multiplier": 2})
    assert _codes(problems) == []
    assert reads.kwh_c.tolist() == [(1000 + 10_000_000 - 9_999_000) * 2]  # 20.00 × 2
    assert reads.flags.tolist() == ["rollover"]
    assert problems.counts(notes=True) == {"rollover": 1}


def test_bill_2_rollover_of_a_six_digit_register() -> None:
    reads, problems = _run([_row("50.00")], {"prev": 999_950.00})
    assert _codes(problems) == []
    assert reads.kwh_c.tolist() == [10000]


def test_bill_2_drop_from_mid_dial_is_negative_not_rollover() -> None:
    _, problems = _run([_row("100.00")], {"prev": 50_000.00})
    assert _codes(problems) == [(2, "total", "negative")]


def test_bill_2_estimated_reads_accepted_and_flagged() -> None:
    reads, problems = _run([_row("120.00", estimated="1")], {"prev": 100})
    assert _codes(problems) == []
    assert reads.estimated.tolist() == [True]
    assert reads.flags.tolist() == ["estimated"]


def test_bill_2_outlier_against_own_history_flagged_for_review() -> None:
    # 10 days since the last reading; this meter usually uses 5 kWh a day.
    normal, p1 = _run([_row("160.00")], {"prev": 100, "baseline": 5})
    assert normal.flags.tolist() == [None]
    assert p1.counts(notes=True) == {}
    high, p2 = _run([_row("400.00")], {"prev": 100, "baseline": 5})
    assert _codes(p2) == []  # accepted …
    assert high.flags.tolist() == ["outlier"]  # … but flagged
    assert p2.listed(notes=True)[0].code == "outlier"
    low, _ = _run([_row("101.00")], {"prev": 100, "baseline": 5})
    assert low.flags.tolist() == ["outlier"]


def test_bill_2_duplicate_rows_in_a_file_rejected() -> None:
    _, problems = _run([_row("110.00"), _row("110.00")], {"prev": 100})
    assert _codes(problems) == [(3, "read_on", "duplicate")]
    assert "row 2" in problems.listed()[0].message


def test_bill_2_duplicate_of_stored_reading_rejected() -> None:
    _, problems = _run([_row("110.00", day="2026-10-31")], {"prev": 100})
    assert _codes(problems) == [(2, "read_on", "already_stored")]


def test_bill_2_consecutive_rows_of_one_meter_follow_each_other() -> None:
    rows = [_row("130.00", day="2026-11-12"), _row("110.00", day="2026-11-05")]
    reads, problems = _run(rows, {"prev": 100})
    assert _codes(problems) == []
    assert reads.kwh_c.tolist() == [1000, 2000]  # sorted by date: 100→110→130


def test_bill_2_unknown_meter_and_dates_rejected() -> None:
    rows = [
        _row("110.00", asset="NOPE"),
        _row("110.00", day="2026-11-16"),
        _row("110.00", day="2026-10-05", asset="M2"),
        _row("110.00", day="2019-12-31", asset="M3"),
    ]
    closed = Closed({month_of_period("2026-10")}, [])
    _, problems = _run(
        rows,
        {"asset": "M1", "prev": 100},
        {"asset": "M2", "prev": 100, "prev_day": date(2026, 9, 30)},
        {"asset": "M3", "prev": None, "prev_day": None},
        closed=closed,
    )
    assert _codes(problems) == [
        (2, "asset_no", "unknown_meter"),
        (3, "read_on", "future"),
        (4, "read_on", "period_closed"),
        (5, "read_on", "before_install"),
    ]


def test_bill_2_malformed_numbers_named_by_row_and_field() -> None:
    rows = [_row("12a.5"), _row("-3", day="2026-11-11"), _row("1.234", day="2026-11-12")]
    rows.append(_row("120", day="2026-13-01"))
    _, problems = _run(rows, {"prev": 1})
    assert _codes(problems) == [
        (2, "total", "malformed"),
        (3, "total", "malformed"),
        (4, "total", "malformed"),
        (5, "read_on", "malformed"),
    ]
    assert "'12a.5'" in problems.listed()[0].message


def test_bill_2_peak_plus_valley_must_not_exceed_total() -> None:
    tou = {"prev": 100, "prev_peak": 60, "prev_valley": 40, "tou": True, "multiplier": 10}
    ok, p1 = _run([_row("200.00", peak="110.00", valley="90.05")], tou)
    assert _codes(p1) == []  # 50 + 50.05 against 100: inside the tolerance
    assert (ok.kwh_c[0], ok.peak_kwh_c[0], ok.valley_kwh_c[0]) == (100000, 50000, 50000)
    _, p2 = _run([_row("200.00", peak="110.00", valley="100.00")], tou)
    assert _codes(p2) == [(2, "peak", "tou_mismatch")]  # 50 + 60 against 100


def test_bill_2_time_of_use_split_adds_up_to_total() -> None:
    tou = {"prev": 100, "prev_peak": 60, "prev_valley": 40, "tou": True, "multiplier": 1}
    reads, problems = _run([_row("130.00", peak="80.00", valley="50.00")], tou)
    assert _codes(problems) == []
    assert (reads.kwh_c[0], reads.peak_kwh_c[0], reads.valley_kwh_c[0]) == (3000, 2000, 1000)


def test_bill_2_tou_meter_needs_peak_and_valley_others_must_not_have_them() -> None:
    _, p1 = _run([_row("130.00")], {"prev": 100, "tou": True})
    assert _codes(p1) == [(2, "peak", "tou_missing")]
    _, p2 = _run([_row("130.00", peak="80.00", valley="50.00")], {"prev": 100})
    assert _codes(p2) == [(2, "peak", "not_tou")]


def test_bill_2_first_reading_of_a_meter_has_no_consumption() -> None:
    reads, problems = _run([_row("130.00")], {"prev": None, "prev_day": None})
    assert _codes(problems) == []
    assert reads.kwh_c.tolist() == [MISSING]
