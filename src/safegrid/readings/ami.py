"""AMI interval feed (BILL-2): 96 quarter-hour energy values per meter and day.

The feed — Parquet or CSV with ``asset_no, interval_start, kwh`` (interval start in
Beijing time, energy in register units, ≤ 4 decimals) — is checked and aggregated
set-based in DuckDB: one pass flags malformed, misaligned, negative and duplicate
intervals, a GROUP BY turns each complete day (96 intervals) into the day's energy and
its peak (08:00–22:00, Zhejiang residential) and valley (22:00–08:00) parts. Those days
then pass the same validation as every reading and continue each meter's register.

Accepted raw intervals are kept as one Parquet file per batch under ``Settings.ami_dir``
(``batch-<id>.parquet``, sorted by meter and time so DuckDB can skip row groups). The
file is renamed into place just before the database commits and removed if the commit
fails; readers only trust files whose batch exists in ``import_batches``.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Final

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import select

from safegrid.platform.errors import ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import context, intake, store
from safegrid.readings.events import ReadingsImported
from safegrid.readings.frame import REPORT_LIMIT, Problems, ReadFrame, RowProblem
from safegrid.readings.imports import (
    Progress,
    Silent,
    first_day,
    new_batch,
    refuse_repeat,
    report,
    screened_report,
)
from safegrid.readings.models import BatchKind, ImportBatch, ReadSource
from safegrid.readings.schemas import ImportReport
from safegrid.readings.validation import validate

SLOTS_PER_DAY: Final = 96
PEAK_SLOTS: Final = (32, 87)  # 08:00 up to the interval ending 22:00
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "asset_no": ("asset_no", "meter", "资产编号", "电能表资产号"),
    "interval_start": ("interval_start", "ts", "time", "时间"),
    "kwh": ("kwh", "energy", "电量"),
}
_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "required": ("asset_no", "缺少电表资产编号 / the meter's asset number is missing"),
    "malformed_time": ("interval_start", "时间格式错误 / not a timestamp (YYYY-MM-DD HH:MM)"),
    "misaligned": ("interval_start", "时间不在 15 分钟整点上 / not on a 15-minute boundary"),
    "malformed": ("kwh", "电量格式错误 / not an energy figure"),
    "negative": ("kwh", "区间电量为负 / negative interval energy"),
    "duplicate": ("interval_start", "同一电表同一时刻重复 / duplicate interval for this meter"),
}


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    names = [row[0] for row in con.execute("DESCRIBE src").fetchall()]
    lookup = {alias.lower(): key for key, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, str] = {}
    for name in names:
        key = lookup.get(name.strip().lower())
        if key and key not in found:
            found[key] = name
    missing = [key for key in ALIASES if key not in found]
    if missing:
        raise ValidationProblem(
            f"文件缺少列 {', '.join(missing)} / the file has no column {', '.join(missing)} "
            "(header: asset_no,interval_start,kwh)",
            field=missing[0],
        )
    return found


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _load(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        if path.suffix.lower() == ".parquet":
            con.read_parquet(str(path)).create_view("src")
        else:
            con.read_csv(str(path), header=True, all_varchar=True).create_view("src")
        cols = {k: _quote(v) for k, v in _columns(con).items()}
        # Interval checks in one pass; the first failing check names the row's problem.
        con.execute(
            f"""
            CREATE TEMP TABLE checked AS
            WITH raw AS (
                SELECT row_number() OVER () + 1 AS row_no,
                       coalesce(trim(CAST({cols["asset_no"]} AS VARCHAR)), '') AS asset_no,
                       TRY_CAST({cols["interval_start"]} AS TIMESTAMP) AS ts,
                       TRY_CAST({cols["kwh"]} AS DOUBLE) AS kwh
                FROM src
            )
            SELECT row_no, asset_no, ts, CAST(ts AS DATE) AS day,
                   CAST(round(kwh * 10000) AS BIGINT) AS u,
                   hour(ts) * 4 + minute(ts) // 15 AS slot,
                   CASE
                     WHEN asset_no = '' THEN 'required'
                     WHEN ts IS NULL THEN 'malformed_time'
                     WHEN epoch_ms(ts) % 900000 <> 0 THEN 'misaligned'
                     WHEN kwh IS NULL OR isnan(kwh) OR isinf(kwh) OR kwh > 1e6 THEN 'malformed'
                     WHEN kwh < 0 THEN 'negative'
                     WHEN row_number() OVER (PARTITION BY asset_no, ts ORDER BY row_no) > 1
                       THEN 'duplicate'
                   END AS code
            FROM raw
            """  # noqa: S608 - column names come from the file header, quoted
        )
    except duckdb.Error as exc:
        raise ValidationProblem(
            f"文件无法读取 / the file cannot be read: {exc}", field="file"
        ) from exc


def _interval_problems(con: duckdb.DuckDBPyConnection) -> tuple[list[RowProblem], dict[str, int]]:
    counts = dict(
        con.execute(
            "SELECT code, count(*) FROM checked WHERE code IS NOT NULL GROUP BY code"
        ).fetchall()
    )
    listed = [
        RowProblem(int(row), _MESSAGES[code][0], code, _MESSAGES[code][1])
        for row, code in con.execute(
            "SELECT row_no, code FROM checked WHERE code IS NOT NULL ORDER BY row_no LIMIT ?",
            [REPORT_LIMIT],
        ).fetchall()
    ]
    return listed, {k: int(v) for k, v in counts.items()}


def _days(con: duckdb.DuckDBPyConnection) -> tuple[ReadFrame, Problems]:
    lo, hi = PEAK_SLOTS
    days = con.sql(
        f"""
        SELECT asset_no, datediff('day', DATE '1970-01-01', day) AS d, min(row_no) AS row_no,
               count(*) AS n, sum(u) AS use_u,
               sum(CASE WHEN slot BETWEEN {lo} AND {hi} THEN u ELSE 0 END) AS peak_u
        FROM checked WHERE code IS NULL
        GROUP BY asset_no, day ORDER BY row_no
        """  # noqa: S608 - constants only
    ).to_arrow_table()
    col = {name: days.column(name).to_numpy() for name in ("d", "row_no", "n", "use_u", "peak_u")}
    rows = col["row_no"].astype(np.int64)
    # Hundredths of a register unit, half-up; the valley is the rest, so they add up.
    use_c = (col["use_u"].astype(np.int64) + 50) // 100
    peak_c = np.minimum((col["peak_u"].astype(np.int64) + 50) // 100, use_c)
    frame = ReadFrame(
        row=rows,
        asset_no=days.column("asset_no").combine_chunks(),
        **ReadFrame.empty_columns(len(rows)),
        use_c=use_c,
        peak_use_c=peak_c,
    )
    frame.day = col["d"].astype(np.int64)
    problems = Problems(rows)
    counts = col["n"].astype(np.int64)
    problems.error(
        counts != SLOTS_PER_DAY,
        "interval_start",
        "incomplete_day",
        lambda i: (
            f"该日只有 {counts[i]} 个有效区间，应为 96 / the day has {counts[i]} valid "
            "intervals of 96"
        ),
    )
    return frame, problems


@contextmanager
def _source(filename: str, data: bytes | Path) -> Iterator[Path]:
    suffix = PurePath(filename).suffix.lower()
    if suffix not in {".parquet", ".csv"}:
        raise ValidationProblem(
            f"不支持的文件类型 {suffix} / unsupported file type {suffix}: use .parquet or .csv",
            field="file",
        )
    if isinstance(data, Path):
        yield data
        return
    with tempfile.TemporaryDirectory(prefix="safegrid-ami-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        yield path


def _digest(data: bytes | Path) -> str:
    h = hashlib.sha256()
    if isinstance(data, bytes):
        h.update(data)
        return h.hexdigest()
    with data.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")  # zoned timestamps → Beijing wall time
    return con


def do_ingest_ami(
    uow: UnitOfWork,
    ami_dir: Path,
    filename: str,
    data: bytes | Path,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a feed file; on success write its days as daily readings and keep its raw
    intervals in the Parquet store — all of it, or (any problem) none of it."""
    progress = progress or Silent()
    started = time.perf_counter()
    digest = _digest(data)
    with _source(filename, data) as path, _connect() as con:
        _load(con, path)
        extra = _interval_problems(con)
        frame, problems = _days(con)
        intervals = int(con.execute("SELECT count(*) FROM checked").fetchall()[0][0])
        progress.stage("校验 / validate", len(frame))
        with uow:
            refuse_repeat(uow, digest)
            ctx = context.load(uow, frame.asset_no, first_day(frame))
            reads = validate(frame, problems, ctx)
            progress.advance(len(frame))
            result = report(filename, BatchKind.AMI.value, intervals, [problems], started, extra)
            if not result.accepted:
                return result
            if not len(reads):
                raise ValidationProblem("文件没有数据行 / the file has no data rows", field="file")
            screened = intake.screen(uow, reads)
            stored = screened.keep
            batch = new_batch(uow, BatchKind.AMI, filename, digest, intervals, stored)
            progress.stage("写入 / write", len(stored))
            store.write_daily_readings(uow.session.connection(), stored, progress.advance)
            uow.audit(
                "readings.ami_ingest",
                object_type="import_batch",
                object_id=batch.id,
                org_unit_id=batch.org_unit_id,
                after={
                    "filename": filename,
                    "intervals": intervals,
                    "days": len(stored),
                    "queued": len(screened.queued),
                },
            )
            reason = intake.batch_reason(BatchKind.AMI.value, batch.id)
            intake.queue(uow, screened, ReadSource.AMI, batch.id, reason, "import_batch", batch.id)
            uow.emit(
                ReadingsImported(
                    batch_id=batch.id,
                    kind=BatchKind.AMI.value,
                    readings=len(stored),
                    org_unit_id=batch.org_unit_id,
                )
            )
            final = _keep_intervals(con, ctx.meters, ami_dir, batch.id)
            try:
                uow.commit()
            except BaseException:
                final.unlink(missing_ok=True)
                raise
    return result.model_copy(update={**screened_report(screened, started), "batch_id": batch.id})


def _keep_intervals(
    con: duckdb.DuckDBPyConnection, meters: context.Meters, ami_dir: Path, batch_id: int
) -> Path:
    ami_dir.mkdir(parents=True, exist_ok=True)
    known = pa.table({"asset_no": meters.asset_no, "meter_id": pa.array(meters.meter_id)})
    con.register("known_meters", known)
    final = ami_dir / f"batch-{batch_id:08d}.parquet"
    tmp = final.with_suffix(".parquet.tmp")
    con.execute(
        f"""
        COPY (
            SELECT k.meter_id, c.ts AS interval_start,
                   CAST(c.u / 10000.0 AS DECIMAL(12, 4)) AS kwh, {batch_id} AS batch_id
            FROM checked c JOIN known_meters k USING (asset_no)
            ORDER BY k.meter_id, c.ts
        ) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)
        """  # noqa: S608 - our own path and an integer id
    )
    tmp.replace(final)
    return final


def stored_files(uow: UnitOfWork, ami_dir: Path) -> list[Path]:
    """Parquet files of committed AMI batches (an orphan of a failed commit is ignored)."""
    on_disk = {p: int(p.stem.removeprefix("batch-")) for p in ami_dir.glob("batch-*.parquet")}
    if not on_disk:
        return []
    committed = set(
        uow.session.scalars(
            select(ImportBatch.id).where(
                ImportBatch.kind == BatchKind.AMI, ImportBatch.id.in_(list(on_disk.values()))
            )
        )
    )
    return sorted(p for p, batch in on_disk.items() if batch in committed)


def curve(
    uow: UnitOfWork, ami_dir: Path, meter_id: int, day: date
) -> list[tuple[datetime, Decimal]]:
    """One meter's 96 quarter-hours of a day from the Parquet store."""
    paths = stored_files(uow, ami_dir)
    if not paths:
        return []
    start = datetime.combine(day, datetime.min.time())
    with _connect() as con:
        rows = con.execute(
            "SELECT interval_start, kwh FROM read_parquet(?) WHERE meter_id = ? "
            "AND interval_start >= ? AND interval_start < ? ORDER BY interval_start",
            [[str(p) for p in paths], meter_id, start, start + timedelta(days=1)],
        ).fetchall()
    return [(ts, Decimal(str(kwh))) for ts, kwh in rows]
