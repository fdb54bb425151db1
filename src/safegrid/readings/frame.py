"""Register reads as columns, and the row problems found in them (BILL-2).

Every source — a meter reader's entry, a CSV or Excel file, the AMI interval feed — is
turned into one :class:`ReadFrame` and checked by the same vectorised validation, so a
rule holds the same way whether one reading arrives or a million. Register figures are
exact integers in hundredths of a register unit; ``MISSING`` marks an absent value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MISSING: Final = -1  # registers and days are never negative
# The report lists the first problems in full; the counts cover them all.
REPORT_LIMIT: Final = 1000


@dataclasses.dataclass
class ReadFrame:
    """``n`` readings. ``row`` is the number a person sees (the header is row 1)."""

    row: IntArray
    asset_no: pa.Array
    day: IntArray  # days since 1970-01-01
    total_c: IntArray
    peak_c: IntArray
    valley_c: IntArray
    estimated: BoolArray
    # AMI: the day's energy in register hundredths, measured; registers are derived from
    # the meter's last register instead of read off the dial.
    use_c: IntArray | None = None
    peak_use_c: IntArray | None = None

    def __len__(self) -> int:
        return len(self.row)

    @classmethod
    def empty_columns(cls, n: int) -> dict[str, Any]:
        missing = np.full(n, MISSING, np.int64)
        return {
            "day": missing.copy(),
            "total_c": missing.copy(),
            "peak_c": missing.copy(),
            "valley_c": missing.copy(),
            "estimated": np.zeros(n, bool),
        }


@dataclasses.dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    code: str
    message: str  # "中文 / English"


Describe = Callable[[int], str]  # index into the frame → message for that row


@dataclasses.dataclass
class _Finding:
    index: IntArray
    field: str
    code: str
    describe: Describe


class Problems:
    """Errors (the row is rejected) and notes (accepted, flagged for review) per row.

    Findings are kept as index arrays; sentences are written only for the rows the
    report shows, so a file with a million bad rows is still reported quickly."""

    def __init__(self, rows: IntArray) -> None:
        self.rows = rows
        self.bad = np.zeros(len(rows), bool)
        self._errors: list[_Finding] = []
        self._notes: list[_Finding] = []

    def error(self, mask: BoolArray | IntArray, field: str, code: str, describe: Describe) -> None:
        index = _as_index(mask)
        if len(index):
            self.bad[index] = True
            self._errors.append(_Finding(index, field, code, describe))

    def note(self, mask: BoolArray | IntArray, field: str, code: str, describe: Describe) -> None:
        index = _as_index(mask)
        if len(index):
            self._notes.append(_Finding(index, field, code, describe))

    @property
    def error_count(self) -> int:
        return sum(len(f.index) for f in self._errors)

    def counts(self, *, notes: bool = False) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self._notes if notes else self._errors:
            out[f.code] = out.get(f.code, 0) + len(f.index)
        return out

    def listed(self, *, notes: bool = False, limit: int = REPORT_LIMIT) -> list[RowProblem]:
        """The first ``limit`` problems in row order."""
        findings = self._notes if notes else self._errors
        if not findings:
            return []
        index = np.concatenate([f.index for f in findings])
        which = np.concatenate([np.full(len(f.index), i) for i, f in enumerate(findings)])
        order = np.lexsort((which, self.rows[index]))[:limit]
        out = []
        for k in order.tolist():
            f, i = findings[int(which[k])], int(index[k])
            out.append(RowProblem(int(self.rows[i]), f.field, f.code, f.describe(i)))
        return out


def _as_index(mask: BoolArray | IntArray) -> IntArray:
    if mask.dtype == np.bool_:
        return np.flatnonzero(mask).astype(np.int64)
    return mask.astype(np.int64)


def fmt_c(value: int) -> str:
    """Hundredths as a decimal figure, e.g. 1234567 → '12345.67'."""
    sign = "-" if value < 0 else ""
    value = abs(int(value))
    return f"{sign}{value // 100}.{value % 100:02d}"
