"""Turning a computed run into ``bills`` and ``bill_lines`` rows, a chunk at a time so the
caller can show progress, through :class:`~safegrid.billing.bulk_store.BulkWriter`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import numpy as np

from safegrid.billing.bulk_store import BulkWriter
from safegrid.billing.models import Bill, BillKind, BillLine, BillStatus
from safegrid.billing.run_engine import AMOUNT_SCALE, KWH_SCALE, PRICE_SCALE, Computed
from safegrid.billing.run_loader import RunInput
from safegrid.tariffs.terms import LineKind

CHUNK = 50_000
_KINDS = [kind.value for kind in LineKind]
BILL_COLUMNS = (
    "id",
    "number",
    "account_id",
    "period",
    "kind",
    "sequence",
    "status",
    "kwh",
    "amount",
    "tier_prior_kwh",
    "tariff_version_id",
    "run_id",
    "issued_at",
    "due_date",
    "org_unit_id",
)
LINE_COLUMNS = ("bill_id", "line_no", "kind", "description", "kwh", "price", "amount")


def bill_number(kind: BillKind, period: str, bill_id: int) -> str:
    """Readable and unique: B (or R for a reversal), the month, the bill id."""
    prefix = "R" if kind == BillKind.REVERSAL else "B"
    return f"{prefix}{period[:4]}{period[5:]}-{bill_id:09d}"


@dataclasses.dataclass(frozen=True)
class Issue:
    run_id: int | None  # None: re-issued by a correction (BILL-7), not by a run
    period: str
    issued_at: datetime
    due_date: date


def write_run(
    writer: BulkWriter,
    issue: Issue,
    data: RunInput,
    computed: Computed,
    advance: Callable[[int], None],
) -> None:
    n = len(data)
    bills, lines = Bill.__table__, BillLine.__table__
    ids = writer.allocate_ids(bills, n)  # type: ignore[arg-type]
    issued_at = writer.bind(bills.c.issued_at, issue.issued_at)
    due_date = writer.bind(bills.c.due_date, issue.due_date)
    version_ids = np.array([p.version.id for p in data.versions] or [0], dtype=np.int64)
    tiered = np.array([p.tariff.structure.tiered for p in data.versions] or [False])
    texts = np.array([list(p.descriptions) for p in data.versions] or [[""] * len(_KINDS)], object)
    prefix = f"B{issue.period[:4]}{issue.period[5:]}-"
    line_bill = computed.lines.bill
    for lo in range(0, n, CHUNK):
        hi = min(lo + CHUNK, n)
        part = slice(lo, hi)
        chunk_ids = ids[part].tolist()
        version = data.usage.version[part]
        prior: list[Any] = writer.decimal_column(data.usage.prior[part], KWH_SCALE)
        prior = [p if t else None for p, t in zip(prior, tiered[version].tolist(), strict=True)]
        rows = list(
            zip(
                chunk_ids,
                [f"{prefix}{i:09d}" for i in chunk_ids],
                data.account_id[part].tolist(),
                [issue.period] * (hi - lo),
                [BillKind.NORMAL.value] * (hi - lo),
                data.sequence[part].tolist(),
                [BillStatus.ISSUED.value] * (hi - lo),
                writer.decimal_column(data.usage.kwh[part], KWH_SCALE),
                writer.decimal_column(computed.fen[part], 100),
                prior,
                version_ids[version].tolist(),
                [issue.run_id] * (hi - lo),
                [issued_at] * (hi - lo),
                [due_date] * (hi - lo),
                data.org_unit_id[part].tolist(),
                strict=True,
            )
        )
        writer.insert(bills, BILL_COLUMNS, rows)  # type: ignore[arg-type]
        a, b = np.searchsorted(line_bill, [lo, hi])
        owner = line_bill[a:b]
        kind = computed.lines.kind[a:b]
        line_rows = list(
            zip(
                ids[owner].tolist(),
                computed.lines.line_no[a:b].tolist(),
                [_KINDS[k] for k in kind.tolist()],
                texts[data.usage.version[owner], kind].tolist(),
                writer.decimal_column(computed.lines.kwh[a:b], KWH_SCALE),
                writer.decimal_column(computed.lines.price[a:b], PRICE_SCALE),
                writer.decimal_column(computed.lines.amount[a:b], AMOUNT_SCALE),
                strict=True,
            )
        )
        writer.insert(lines, LINE_COLUMNS, line_rows)  # type: ignore[arg-type]
        advance(hi - lo)
