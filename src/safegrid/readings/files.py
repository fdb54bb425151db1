"""Reading files (CSV, Excel) → :class:`ReadFrame`, vectorised with pyarrow.

Every cell is read as text and checked with one regular expression per column, so a
malformed number or date becomes a row problem naming the row and the field instead of
stopping the parse. Header names may be English or the Chinese ones of the usual
marketing-system export (资产编号, 抄表日期, 总示数, 峰示数, 谷示数, 估抄).
"""

from __future__ import annotations

import csv as std_csv
import io
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv

from safegrid.platform.errors import ValidationProblem
from safegrid.readings.frame import MISSING, IntArray, Problems, ReadFrame

ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "asset_no": ("asset_no", "meter", "资产编号", "电能表资产号", "表号"),
    "read_on": ("read_on", "date", "抄表日期", "日期"),
    "total": ("total", "total_register", "总示数"),
    "peak": ("peak", "peak_register", "峰示数"),
    "valley": ("valley", "valley_register", "谷示数"),
    "estimated": ("estimated", "estimate", "估抄"),
}
REQUIRED: Final = ("asset_no", "read_on", "total")
# Up to 10 integer digits and at most 2 decimals, no sign: what a register can show.
_NUMBER = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TRUE: Final = ["1", "true", "yes", "y", "是", "e", "estimated"]
_FALSE: Final = ["", "0", "false", "no", "n", "否"]
FIRST_DATA_ROW: Final = 2  # row 1 is the header, as a spreadsheet numbers it


def canonical_columns(header: Iterable[str]) -> dict[str, int]:
    """Our column name → position in the file; refuses a file missing a required one."""
    lookup = {alias.lower(): name for name, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    for i, raw in enumerate(header):
        name = lookup.get(str(raw or "").strip().lower())
        if name is not None and name not in found:
            found[name] = i
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        raise ValidationProblem(
            f"文件缺少列 {', '.join(missing)} / the file has no column {', '.join(missing)} "
            f"(header: asset_no,read_on,total[,peak,valley,estimated])",
            field=missing[0],
        )
    return found


def _decode_header(data: bytes) -> tuple[list[str], str]:
    end = data.find(b"\n")
    line = (data if end < 0 else data[:end]).rstrip(b"\r")  # no copy of the whole file
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError:
            continue
        return next(std_csv.reader([text])), ("utf8" if encoding == "utf-8-sig" else encoding)
    raise ValidationProblem("无法识别文件编码 / the file is neither UTF-8 nor GBK", field="file")


Rest = Callable[[], None]  # parses the remaining columns into the frame


def _nothing_left() -> None:
    return None


def read_csv(data: bytes) -> tuple[ReadFrame, Problems]:
    frame, problems, rest = read_csv_staged(data)
    rest()
    return frame, problems


def read_csv_staged(data: bytes) -> tuple[ReadFrame, Problems, Rest]:
    """Like :func:`read_csv`, but only the meter and date columns are parsed before it
    returns — all the database lookups need; ``rest`` parses the registers and flags (an
    import runs it while the database answers)."""
    if not data or data.isspace():
        raise ValidationProblem("文件为空 / the file is empty", field="file")
    header, encoding = _decode_header(data)
    positions = canonical_columns(header)
    names = [f"c{i}" for i in range(len(header))]
    invalid: list[str] = []

    def on_invalid(row: Any) -> str:
        invalid.append(row.text)
        return "skip"

    try:
        table = csv.read_csv(
            pa.BufferReader(data),
            read_options=csv.ReadOptions(
                column_names=names, skip_rows=1, encoding=encoding, block_size=1 << 22
            ),
            parse_options=csv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise ValidationProblem(
            f"CSV 无法解析 / the CSV cannot be read: {exc}", field="file"
        ) from exc
    if invalid:
        return (*_ragged_rows(data, encoding, len(header)), _nothing_left)
    columns = {name: table.column(pos).combine_chunks() for name, pos in positions.items()}
    return parse_staged(columns, table.num_rows)


def _ragged_rows(data: bytes, encoding: str, width: int) -> tuple[ReadFrame, Problems]:
    """Rows with the wrong number of columns. pyarrow does not say where they are, so
    the (failing) file is read again with the csv module to name their row numbers."""
    text = data.decode("utf-8-sig" if encoding == "utf8" else encoding, errors="replace")
    found = [
        (number, len(cells))
        for number, cells in enumerate(std_csv.reader(io.StringIO(text)), start=1)
        if number > 1 and cells and len(cells) != width
    ]
    problems = Problems(np.array([n for n, _ in found], np.int64))
    problems.error(
        np.arange(len(found)),
        "file",
        "columns",
        lambda i: (
            f"列数不符：{found[i][1]} 列，应为 {width} 列 / wrong number of columns: "
            f"{found[i][1]} instead of {width}"
        ),
    )
    return _empty_frame(), problems


def read_xlsx(data: bytes) -> tuple[ReadFrame, Problems]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise ValidationProblem(
            f"不是有效的 Excel 文件 / not an Excel file: {exc}", field="file"
        ) from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ValidationProblem("文件为空 / the file is empty", field="file")
        positions = canonical_columns(str(h or "") for h in header)
        cells: dict[str, list[str]] = {name: [] for name in positions}
        n = 0
        for values in rows:
            if values is None or all(v is None for v in values):
                continue
            n += 1
            for name, pos in positions.items():
                cells[name].append(_cell_text(values[pos] if pos < len(values) else None))
    finally:
        book.close()
    return parse_columns({k: pa.array(v, pa.string()) for k, v in cells.items()}, n)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores 12345.6 as a binary float; print it as the clerk typed it.
        return f"{value:.2f}" if abs(value - round(value, 2)) < 1e-9 else repr(value)
    return str(value)


def frame_from_records(records: list[Mapping[str, str]]) -> tuple[ReadFrame, Problems]:
    """One or a few readings typed in (console, API): the same parse as a file."""
    names = {name for r in records for name in r}
    columns = {n: pa.array([str(r.get(n, "")) for r in records], pa.string()) for n in names}
    return parse_columns(columns, len(records))


def _empty_frame() -> ReadFrame:
    return ReadFrame(
        row=np.zeros(0, np.int64),
        asset_no=pa.array([], pa.string()),
        **ReadFrame.empty_columns(0),
    )


def parse_columns(columns: Mapping[str, pa.Array], n: int) -> tuple[ReadFrame, Problems]:
    frame, problems, rest = parse_staged(columns, n)
    rest()
    return frame, problems


def parse_staged(columns: Mapping[str, pa.Array], n: int) -> tuple[ReadFrame, Problems, Rest]:
    rows = np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + n, dtype=np.int64)
    problems = Problems(rows)
    trimmed = {k: pc.utf8_trim_whitespace(v) for k, v in columns.items()}
    asset = trimmed["asset_no"]
    problems.error(
        _np_bool(pc.equal(asset, "")),
        "asset_no",
        "required",
        lambda i: "缺少电表资产编号 / the meter's asset number is missing",
    )
    frame = ReadFrame(row=rows, asset_no=asset, **ReadFrame.empty_columns(n))
    frame.day = _parse_day(trimmed["read_on"], problems)

    def rest() -> None:
        frame.total_c = _parse_register(trimmed["total"], "total", problems, required=True)
        for name in ("peak", "valley"):
            if name in trimmed:
                setattr(frame, f"{name}_c", _parse_register(trimmed[name], name, problems))
        if "estimated" in trimmed:
            frame.estimated = _parse_flag(trimmed["estimated"], problems)

    return frame, problems, rest


def _np_bool(arr: pa.Array) -> np.ndarray[Any, Any]:
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), bool)


def _parse_register(
    text: pa.Array, field: str, problems: Problems, *, required: bool = False
) -> IntArray:
    empty = _np_bool(pc.equal(text, ""))
    ok = _np_bool(pc.match_substring_regex(text, _NUMBER))
    raw = text.to_pylist() if (~ok & ~empty).any() else None
    if required:
        problems.error(empty, field, "required", lambda i: f"缺少{field}示数 / {field} is missing")
    problems.error(
        ~ok & ~empty,
        field,
        "malformed",
        lambda i: (
            f"示数格式错误 / not a register figure: {raw[i]!r} (digits, ≤ 2 decimals)"
            if raw
            else ""
        ),
    )
    values = pc.cast(pc.if_else(pa.array(ok), text, "0"), pa.float64()).to_numpy()
    # ≤ 12 significant digits: float64 holds them exactly enough for rint to be exact.
    out: IntArray = np.rint(values * 100).astype(np.int64)
    out[~ok] = MISSING
    return out


def _parse_day(text: pa.Array, problems: Problems) -> IntArray:
    # A file spans a few dozen dates: check and convert each distinct one, then spread.
    encoded = text.fill_null("").dictionary_encode()
    distinct, index = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
    shaped = _np_bool(pc.match_substring_regex(distinct, _DATE))
    safe = pc.if_else(pa.array(shaped), distinct, "1970-01-01")
    parsed = pc.strptime(safe, format="%Y-%m-%d", unit="s", error_is_null=True)
    valid = (shaped & ~_np_bool(pc.is_null(parsed)))[index]
    days = pc.cast(pc.cast(parsed.fill_null(0), pa.date32()), pa.int32()).to_numpy()[index]
    raw = text.to_pylist() if (~valid).any() else []
    problems.error(
        ~valid,
        "read_on",
        "malformed",
        lambda i: f"日期格式错误 / not a date: {raw[i]!r} (YYYY-MM-DD)",
    )
    out: IntArray = days.astype(np.int64)
    out[~valid] = MISSING
    return out


def _parse_flag(text: pa.Array, problems: Problems) -> np.ndarray[Any, Any]:
    lower = pc.utf8_lower(text)
    yes = _np_bool(pc.is_in(lower, value_set=pa.array(_TRUE)))
    no = _np_bool(pc.is_in(lower, value_set=pa.array(_FALSE)))
    raw = text.to_pylist() if (~yes & ~no).any() else []
    problems.error(
        ~yes & ~no,
        "estimated",
        "malformed",
        lambda i: f"估抄标志应为 1/0 / estimated must be 1 or 0, not {raw[i]!r}",
    )
    return yes
