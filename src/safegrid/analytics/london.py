"""Reading daily consumption files in the London smart-meter layout (LCLid, day,
energy_sum; CSV, optionally .xz), the shape the theft commands take as input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from safegrid.platform.errors import ValidationProblem

REQUIRED = ("LCLid", "day", "energy_sum")


def read_daily(path: Path) -> pd.DataFrame:
    """``customer, day, kwh`` from a CSV (or .csv.xz) with at least LCLid, day, energy_sum;
    rows without a reading are dropped. A missing column or a bad date is refused."""
    if not path.is_file():
        raise ValidationProblem(f"文件不存在 / no such file: {path}", field="input")
    try:
        frame = pd.read_csv(path, usecols=lambda c: c in REQUIRED, dtype={"LCLid": "string"})
    except (ValueError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise ValidationProblem(f"无法读取 / cannot read {path}: {exc}", field="input") from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValidationProblem(f"缺少列 / missing column(s): {', '.join(missing)}", field="input")
    days = pd.to_datetime(frame["day"], format="%Y-%m-%d", errors="coerce")
    bad = days.isna() & frame["day"].notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise ValidationProblem(
            f"第 {row} 行日期无效 / row {row}: day {frame['day'].iloc[row - 2]!r} is not YYYY-MM-DD",
            field="day",
        )
    kwh = pd.to_numeric(frame["energy_sum"], errors="coerce")
    out = pd.DataFrame(
        {"customer": frame["LCLid"].astype(str), "day": days.dt.date, "kwh": kwh}
    ).dropna()
    if out.empty:
        raise ValidationProblem("文件没有读数 / the file has no readings", field="input")
    return out.drop_duplicates(["customer", "day"], keep="last").reset_index(drop=True)


def london_daily(data_dir: Path) -> pd.DataFrame:
    return read_daily(data_dir / "customers" / "london_daily_kwh.csv.xz")
