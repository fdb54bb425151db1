"""Chinese banks' CSV and Excel statements (GBK/GB18030 or UTF-8), read by a column map.

The file has a few header rows (account, currency, balances), then a table whose header
row starts with the map's ``table_starts_with`` title, then possibly footer rows (合计,
期末余额). Rows are numbered as in the file (line of the CSV, row of the sheet) in errors.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from openpyxl import load_workbook

from safegrid.reconciliation import column_maps
from safegrid.reconciliation.column_maps import ColumnMap
from safegrid.reconciliation.currencies import is_known
from safegrid.reconciliation.statement import (
    ParsedEntry,
    ParsedFile,
    ParsedStatement,
    StatementError,
)

XLSX_MAGIC = b"PK\x03\x04"
LABEL = re.compile(r"^\s*([^:：]+?)\s*[:：]\s*(.*)$")
Row = tuple[int, list[str]]


def looks_like_xlsx(head: bytes) -> bool:
    return head.startswith(XLSX_MAGIC)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")  # a superset of GBK
        except UnicodeDecodeError:
            raise StatementError(
                "文件编码既不是 UTF-8 也不是 GBK / encoding is neither UTF-8 nor GBK", where="file"
            ) from None


def csv_rows(data: bytes) -> list[Row]:
    reader = csv.reader(io.StringIO(decode(data)))
    return [(n, [c.strip() for c in row]) for n, row in enumerate(reader, 1)]


def xlsx_rows(data: bytes) -> list[Row]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise StatementError(
            f"Excel 文件无法读取 / unreadable workbook ({exc})", where="file"
        ) from None
    sheet = book.worksheets[0]
    rows = []
    for n, values in enumerate(sheet.iter_rows(values_only=True), 1):
        rows.append((n, [_cell(v) for v in values]))
    book.close()
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # openpyxl returns numbers as floats: repr keeps the shortest exact decimal text.
        return repr(value)
    return str(value).strip()


def choose_map(rows: list[Row], code: str | None) -> ColumnMap:
    if code:
        return column_maps.get(code)
    for m in column_maps.all_maps().values():
        if any(
            _first(cells) == m.table_starts_with and _has_columns(m, cells) for _, cells in rows
        ):
            return m
    known = ", ".join(sorted(column_maps.all_maps()))
    raise StatementError(
        f"没有适用的银行列映射，请用 --bank 指定（已有：{known}）/ no bank column map fits this "
        f"file; name one with --bank (known: {known})",
        where="file",
    )


def _first(cells: list[str]) -> str:
    return next((c for c in cells if c), "")


def _has_columns(m: ColumnMap, cells: list[str]) -> bool:
    required = [
        m.columns["booking_date"],
        *(m.columns[k] for k in ("amount", "debit", "credit") if k in m.columns),
    ]
    return all(title in cells for title in required)


def parse(rows: list[Row], fmt: str, code: str | None) -> ParsedFile:
    m = choose_map(rows, code)
    start = next(
        (i for i, (_, cells) in enumerate(rows) if _first(cells) == m.table_starts_with), None
    )
    if start is None:
        raise StatementError(
            f"找不到表头行“{m.table_starts_with}” / table header {m.table_starts_with!r} not found "
            f"(column map {m.code})",
            where="file",
        )
    line, header = rows[start]
    missing = [
        t
        for k, t in m.columns.items()
        if k in ("booking_date", "amount", "debit", "credit") and t not in header
    ]
    if missing:
        raise StatementError(
            f"缺少列 / missing columns {missing} (column map {m.code})", where=f"line {line}"
        )
    index = {k: header.index(t) for k, t in m.columns.items() if t in header}
    table: list[Row] = []
    after: list[Row] = []
    for n, cells in rows[start + 1 :]:
        if after or not any(cells) or _first(cells).startswith(("合计", "总计")):
            after.append((n, cells))
        else:
            table.append((n, cells))
    fields = _labels([*rows[:start], *after], m)
    currency = _currency(fields, m)
    entries = tuple(_entry(n, cells, index, m, currency) for n, cells in table)
    account = fields.get("account", ("", 0))[0]
    if not account:
        raise StatementError(
            f"缺少账号 / missing account ({'/'.join(m.header_fields['account'])})", where="header"
        )
    days = sorted(e.booking_date for e in entries if e.booking_date)
    statement_id = fields.get("statement_id", ("", 0))[0] or (
        f"{days[0].isoformat()}..{days[-1].isoformat()}" if days else "empty"
    )
    return ParsedFile(
        format=f"{fmt}:{m.code}",
        statements=(
            ParsedStatement(
                account=account.replace(" ", ""),
                statement_id=statement_id,
                sequence="",
                currency=currency,
                opening_balance=_balance(fields, "opening_balance"),
                closing_balance=_balance(fields, "closing_balance"),
                opening_currency=currency,
                closing_currency=currency,
                entries=entries,
                where="file",
            ),
        ),
    )


def _labels(rows: Iterable[Row], m: ColumnMap) -> dict[str, tuple[str, int]]:
    wanted = {label: key for key, labels in m.header_fields.items() for label in labels}
    found: dict[str, tuple[str, int]] = {}
    for n, cells in rows:
        for i, cell in enumerate(cells):
            hit = LABEL.match(cell)
            label, value = (hit.group(1), hit.group(2)) if hit else (cell, "")
            if label in wanted:
                if not value and i + 1 < len(cells):
                    value = cells[i + 1]
                found.setdefault(wanted[label], (value.strip(), n))
    return found


def _currency(fields: dict[str, tuple[str, int]], m: ColumnMap) -> str:
    name, line = fields.get("currency", ("人民币", 0))
    code = m.currency_names.get(name, name.upper())
    if not is_known(code):
        raise StatementError(f"未知币种 / unknown currency {name!r}", where=f"line {line}")
    return code


def _money(text: str, where: str) -> Decimal:
    cleaned = text.replace(",", "").replace("¥", "").replace("￥", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise StatementError(f"金额格式错误 / malformed amount {text!r}", where=where) from None
    if not value.is_finite():
        raise StatementError(f"金额格式错误 / malformed amount {text!r}", where=where)
    return value


def _balance(fields: dict[str, tuple[str, int]], key: str) -> Decimal | None:
    if key not in fields or not fields[key][0]:
        return None
    text, line = fields[key]
    return _money(text, f"line {line}")


def _day(text: str, m: ColumnMap, where: str) -> date | None:
    if not text:
        return None
    for fmt in (*m.date_formats, "%Y-%m-%d"):
        try:
            return datetime.strptime(text[:10] if "-" in text else text, fmt).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    raise StatementError(f"日期格式错误 / malformed date {text!r}", where=where)


def _entry(
    n: int, cells: list[str], index: dict[str, int], m: ColumnMap, currency: str
) -> ParsedEntry:
    def get(key: str) -> str:
        i = index.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    where = f"line {n}"
    if m.signed:
        text = get("amount")
        if not text:
            raise StatementError(f"缺少金额 / missing amount ({m.columns['amount']})", where=where)
        amount = _money(text, f"{where}, {m.columns['amount']}")
    else:
        debit, credit = get("debit"), get("credit")
        if bool(debit) == bool(credit):
            raise StatementError(
                f"借方和贷方须且只能填一个 / exactly one of {m.columns['debit']} and "
                f"{m.columns['credit']} must be filled",
                where=where,
            )
        amount = (
            -_money(debit, f"{where}, {m.columns['debit']}")
            if debit
            else _money(credit, f"{where}, {m.columns['credit']}")
        )
    booked = _day(get("booking_date"), m, f"{where}, {m.columns['booking_date']}")
    if booked is None:
        raise StatementError(f"缺少日期 / missing date ({m.columns['booking_date']})", where=where)
    valued = _day(get("value_date"), m, where) if "value_date" in index else None
    refs = {k: get(k) for k in ("reference", "counterparty", "remark") if get(k)}
    return ParsedEntry(
        amount=amount,
        currency=currency,
        booking_date=booked,
        value_date=valued or booked,
        references=refs,
        where=where,
    )
