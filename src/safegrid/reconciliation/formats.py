"""Which format a statement file is in, and its complete check (REC-1).

``read`` parses and checks the whole file before anything may be stored: every statement
needs both balances, one known currency, and entries that carry the opening balance to the
closing balance to the fen; the first problem is raised naming its line or XML element.
"""

from __future__ import annotations

from decimal import Decimal

from safegrid.platform.money import FEN
from safegrid.reconciliation import bank_tables, camt053, swift_mt940
from safegrid.reconciliation.statement import ParsedFile, ParsedStatement, StatementError

MAX_BYTES = 64 * 1024 * 1024


def parse(filename: str, data: bytes, *, bank: str | None = None) -> ParsedFile:
    """What the file holds (structure, amounts, currencies), without the balance check."""
    if not data.strip():
        raise StatementError("文件为空 / empty file", where="file")
    if len(data) > MAX_BYTES:
        raise StatementError("文件过大 / file too large (64 MiB at most)", where="file")
    head = data[:4096]
    name = filename.lower()
    if bank_tables.looks_like_xlsx(head) or name.endswith(".xlsx"):
        return bank_tables.parse(bank_tables.xlsx_rows(data), "xlsx", bank)
    if name.endswith(".xml") or head.lstrip().startswith(b"<"):
        return camt053.parse(data)
    if name.endswith((".sta", ".mt940", ".940")) or swift_mt940.looks_like(head):
        return swift_mt940.parse(data)
    if name.endswith((".csv", ".txt")):
        return bank_tables.parse(bank_tables.csv_rows(data), "csv", bank)
    raise StatementError(
        "无法识别的对账单格式（支持 camt.053、MT940、CSV、Excel）/ unrecognised statement "
        "format (camt.053, MT940, CSV or Excel)",
        where="file",
    )


def check(parsed: ParsedFile) -> None:
    for s in parsed.statements:
        check_statement(s)


def check_statement(s: ParsedStatement) -> None:
    if s.opening_balance is None:
        raise StatementError("缺少期初余额 / missing opening balance", where=s.where)
    if s.closing_balance is None:
        raise StatementError("缺少期末余额 / missing closing balance", where=s.where)
    if not s.account:
        raise StatementError("缺少账号 / missing account", where=s.where)
    for label, ccy in (("opening", s.opening_currency), ("closing", s.closing_currency)):
        if ccy and ccy != s.currency:
            raise StatementError(
                f"{label} 余额币种 {ccy} 与账户币种 {s.currency} 不一致 / {label} balance in "
                f"{ccy}, account in {s.currency}",
                where=s.where,
            )
    for e in s.entries:
        if e.currency != s.currency:
            raise StatementError(
                f"分录币种 {e.currency} 与账户币种 {s.currency} 不一致 / entry in {e.currency}, "
                f"account in {s.currency}",
                where=e.where,
            )
        if e.amount != e.amount.quantize(FEN):
            raise StatementError(
                f"金额精度超过分 / amount {e.amount} finer than a fen", where=e.where
            )
    total = sum((e.amount for e in s.entries), Decimal(0))
    if s.opening_balance + total != s.closing_balance:
        raise StatementError(
            f"余额不平：期初 {s.opening_balance} + 发生额 {total} ≠ 期末 {s.closing_balance} / "
            f"balances do not reconcile: opening {s.opening_balance} + entries {total} ≠ "
            f"closing {s.closing_balance}",
            where=s.where,
        )


def read(filename: str, data: bytes, *, bank: str | None = None) -> ParsedFile:
    parsed = parse(filename, data, bank=bank)
    check(parsed)
    return parsed
