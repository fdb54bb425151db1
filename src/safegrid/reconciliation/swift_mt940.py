"""SWIFT MT940 customer statements through the ``mt-940`` package.

The package reads one statement's tags; a file may carry several statements (one per
``:20:``), so the file is cut at each ``:20:`` line and every part parsed on its own, which
also lets an error name the line in the file it came from. ``:86:`` structured details
(``?20``… sub-fields) are read by the package's own post-processor.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

import mt940
from mt940.processors import transaction_details_post_processor

from safegrid.reconciliation.currencies import is_known
from safegrid.reconciliation.statement import (
    ParsedEntry,
    ParsedFile,
    ParsedStatement,
    StatementError,
)

FORMAT = "mt940"
REFERENCE_KEYS = {
    "customer_reference": "customer_reference",
    "bank_reference": "bank_reference",
    "end_to_end_reference": "end_to_end_id",
    "transaction_details": "details",
}


def looks_like(head: bytes) -> bool:
    return b":20:" in head[:4096] and b":60" in head


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # pragma: no cover - latin-1 decodes any byte


def parse(data: bytes) -> ParsedFile:
    lines = _decode(data).replace("\r\n", "\n").split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(":20:")]
    if not starts:
        raise StatementError("缺少 :20: 标签，不是 MT940 / no :20: tag, not MT940", where="line 1")
    bounds = [*starts, len(lines)]
    statements = tuple(
        _statement(lines[a:b], first_line=a + 1) for a, b in itertools.pairwise(bounds)
    )
    return ParsedFile(format=FORMAT, statements=statements)


def _line_of(chunk: list[str], first_line: int, needle: str, default: int = 0) -> int:
    for i, line in enumerate(chunk):
        if needle and needle in line:
            return first_line + i
    return first_line + default


def _statement(chunk: list[str], first_line: int) -> ParsedStatement:
    text = "\n".join(chunk)
    where = f"line {first_line}"
    transactions = mt940.models.Transactions(
        processors={"post_transaction": [transaction_details_post_processor]}
    )
    try:
        transactions.parse(text)
    except (RuntimeError, ValueError, KeyError) as exc:
        args: tuple[Any, ...] = exc.args
        bad = str(args[2]) if len(args) > 2 else ""
        line = _line_of(chunk, first_line, bad.split("\n")[0])
        tag = type(args[1]).__name__ if len(args) > 1 else "?"
        first = bad.split("\n")[0]
        raise StatementError(
            f"MT940 标签 {tag} 无法解析 / cannot parse tag {tag}: {first!r}", where=f"line {line}"
        ) from None
    data = transactions.data
    tag_lines = [first_line + i for i, line in enumerate(chunk) if line.startswith(":61:")]
    # A statement split over several messages opens/closes its middle parts with the
    # intermediate balances :60M: / :62M:.
    opening = data.get("final_opening_balance") or data.get("intermediate_opening_balance")
    closing = data.get("final_closing_balance") or data.get("intermediate_closing_balance")
    if opening is None:
        raise StatementError(
            "缺少期初余额 :60F:/:60M: / missing opening balance :60F:/:60M:", where=where
        )
    if closing is None:
        raise StatementError(
            "缺少期末余额 :62F:/:62M: / missing closing balance :62F:/:62M:", where=where
        )
    for tag, bal in ((":60", opening), (":62", closing)):
        ccy = bal.amount.currency
        if not is_known(ccy):
            line = _line_of(chunk, first_line, tag)
            raise StatementError(f"未知币种 / unknown currency {ccy!r}", where=f"line {line}")
    entries = []
    for n, tx in enumerate(transactions):
        d = tx.data
        booked = d.get("entry_date") or d.get("date")
        entries.append(
            ParsedEntry(
                amount=Decimal(str(d["amount"].amount)),
                currency=str(d.get("currency") or opening.amount.currency),
                booking_date=_day(booked),
                value_date=_day(d.get("date")),
                references={
                    name: str(d[key]).strip()
                    for key, name in REFERENCE_KEYS.items()
                    if d.get(key) and str(d[key]).strip() not in ("", "NONREF")
                },
                where=f"line {tag_lines[n] if n < len(tag_lines) else first_line}",
            )
        )
    return ParsedStatement(
        account=str(data.get("account_identification") or ""),
        statement_id=str(data.get("transaction_reference") or ""),
        sequence="/".join(
            str(x) for x in (data.get("statement_number"), data.get("sequence_number")) if x
        ),
        currency=opening.amount.currency,
        opening_balance=Decimal(str(opening.amount.amount)),
        closing_balance=Decimal(str(closing.amount.amount)),
        opening_currency=opening.amount.currency,
        closing_currency=closing.amount.currency,
        entries=tuple(entries),
        where=where,
    )


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return date(value.year, value.month, value.day)
