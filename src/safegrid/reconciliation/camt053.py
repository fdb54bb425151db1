"""ISO 20022 camt.053 (BankToCustomerStatement), versions .001.02 to .001.08.

Parsed with the standard library's ElementTree behind defusedxml, which refuses entity
expansion and external references (a statement is input from outside). The versions differ
in their namespace and in small moves (``Sts`` became ``Sts/Cd`` in .08); everything is read
through the namespace the document declares.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from safegrid.reconciliation.currencies import is_known
from safegrid.reconciliation.statement import (
    ParsedEntry,
    ParsedFile,
    ParsedStatement,
    StatementError,
)

NAMESPACE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0([2-8])\}Document$")
OPENING = ("OPBD", "PRCD")
CLOSING = ("CLBD",)
NOT_BOOKED = ("PDNG", "INFO", "FUTR")
AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,5})?$")


def looks_like(head: bytes) -> bool:
    return b"camt.053" in head[:4096]


def parse(data: bytes) -> ParsedFile:
    try:
        root = fromstring(data)
    except ParseError as exc:
        line, col = exc.position
        raise StatementError(
            f"XML 格式错误 / malformed XML ({exc.msg})", where=f"line {line}, column {col}"
        ) from None
    except DefusedXmlException as exc:
        raise StatementError(
            f"不安全的 XML / unsafe XML refused ({type(exc).__name__})", where="document"
        ) from None
    match = NAMESPACE.match(root.tag)
    if match is None:
        raise StatementError(
            f"不是 camt.053.001.02–08 文档 / not a camt.053.001.02–08 document (root {root.tag})",
            where="Document",
        )
    ns = {"c": root.tag[1:].split("}")[0]}
    body = root.find("c:BkToCstmrStmt", ns)
    if body is None:
        raise StatementError("缺少 BkToCstmrStmt / missing element", where="Document/BkToCstmrStmt")
    stmts = body.findall("c:Stmt", ns)
    if not stmts:
        raise StatementError("文件中没有对账单 / no statement in file", where="BkToCstmrStmt/Stmt")
    return ParsedFile(
        format=f"camt.053.001.0{match.group(1)}",
        statements=tuple(_statement(s, ns, f"Stmt[{i}]") for i, s in enumerate(stmts, 1)),
    )


def _text(el: Element, path: str, ns: dict[str, str]) -> str | None:
    # One child at a time by its Clark name ({namespace}Tag): ElementTree's C find takes
    # that fast path, while a prefixed multi-step path goes through ElementPath in Python.
    found: Element = el
    for step in path.split("/"):
        child = found.find("{" + ns["c"] + "}" + step[2:])
        if child is None:
            return None
        found = child
    if found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _required(el: Element, path: str, ns: dict[str, str], where: str) -> str:
    value = _text(el, path, ns)
    if value is None:
        raise StatementError(
            "缺少必填元素 / missing required element", where=f"{where}/{path.replace('c:', '')}"
        )
    return value


def _amount(el: Element, ns: dict[str, str], where: str) -> tuple[Decimal, str]:
    amt = el.find("{" + ns["c"] + "}Amt")
    if amt is None or not (amt.text or "").strip():
        raise StatementError("缺少金额 / missing amount", where=f"{where}/Amt")
    text = (amt.text or "").strip()
    if not AMOUNT.match(text):
        raise StatementError(f"金额格式错误 / malformed amount {text!r}", where=f"{where}/Amt")
    currency = amt.get("Ccy", "")
    if not is_known(currency):
        raise StatementError(f"未知币种 / unknown currency {currency!r}", where=f"{where}/Amt/@Ccy")
    indicator = _required(el, "c:CdtDbtInd", ns, where)
    if indicator not in ("CRDT", "DBIT"):
        raise StatementError(
            f"借贷标志无效 / bad credit/debit indicator {indicator!r}", where=f"{where}/CdtDbtInd"
        )
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above already refused it
        raise StatementError(
            f"金额格式错误 / malformed amount {text!r}", where=f"{where}/Amt"
        ) from None
    return (value if indicator == "CRDT" else -value), currency


def _day(el: Element, path: str, ns: dict[str, str], where: str) -> date | None:
    text = _text(el, f"{path}/c:Dt", ns) or _text(el, f"{path}/c:DtTm", ns)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StatementError(
            f"日期格式错误 / malformed date {text!r}", where=f"{where}/{path[2:]}"
        ) from None


def _statement(stmt: Element, ns: dict[str, str], where: str) -> ParsedStatement:
    statement_id = _required(stmt, "c:Id", ns, where)
    account = _text(stmt, "c:Acct/c:Id/c:IBAN", ns) or _text(stmt, "c:Acct/c:Id/c:Othr/c:Id", ns)
    if account is None:
        raise StatementError("缺少账号 / missing account", where=f"{where}/Acct/Id")
    sequence = _text(stmt, "c:ElctrncSeqNb", ns) or _text(stmt, "c:LglSeqNb", ns) or ""
    opening = closing = None
    opening_ccy = closing_ccy = None
    for i, bal in enumerate(stmt.findall("c:Bal", ns), 1):
        code = _text(bal, "c:Tp/c:CdOrPrtry/c:Cd", ns)
        bal_where = f"{where}/Bal[{i}]"
        if code in OPENING and opening is None:
            opening, opening_ccy = _amount(bal, ns, bal_where)
        elif code in CLOSING:
            closing, closing_ccy = _amount(bal, ns, bal_where)
    account_ccy = _text(stmt, "c:Acct/c:Ccy", ns) or opening_ccy or closing_ccy or ""
    entries = []
    for i, ntry in enumerate(stmt.findall("c:Ntry", ns), 1):
        entry = _entry(ntry, ns, f"{where}/Ntry[{i}]")
        if entry is not None:
            entries.append(entry)
    return ParsedStatement(
        account=account,
        statement_id=statement_id,
        sequence=sequence,
        currency=account_ccy,
        opening_balance=opening,
        closing_balance=closing,
        opening_currency=opening_ccy,
        closing_currency=closing_ccy,
        entries=tuple(entries),
        where=where,
    )


def _entry(ntry: Element, ns: dict[str, str], where: str) -> ParsedEntry | None:
    status = _text(ntry, "c:Sts/c:Cd", ns) or _text(ntry, "c:Sts", ns)
    amount, currency = _amount(ntry, ns, where)
    if status in NOT_BOOKED:
        return None  # not on the booked balance the statement closes with
    refs: dict[str, list[str]] = {}

    def add(key: str, value: str | None) -> None:
        if value and value not in refs.setdefault(key, []):
            refs[key].append(value)

    add("acct_svcr_ref", _text(ntry, "c:AcctSvcrRef", ns))
    add("entry_ref", _text(ntry, "c:NtryRef", ns))
    for tx in ntry.findall("c:NtryDtls/c:TxDtls", ns):
        add("end_to_end_id", _text(tx, "c:Refs/c:EndToEndId", ns))
        add("acct_svcr_ref", _text(tx, "c:Refs/c:AcctSvcrRef", ns))
        add("proprietary", _text(tx, "c:Refs/c:Prtry/c:Ref", ns))
        for u in tx.findall("c:RmtInf/c:Ustrd", ns):
            add("remittance", (u.text or "").strip())
        add("remittance", _text(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns))
    add("info", _text(ntry, "c:AddtlNtryInf", ns))
    return ParsedEntry(
        amount=amount,
        currency=currency,
        booking_date=_day(ntry, "c:BookgDt", ns, where),
        value_date=_day(ntry, "c:ValDt", ns, where),
        references={k: ",".join(v) for k, v in refs.items() if v and v != ["NOTPROVIDED"]},
        where=where,
    )
