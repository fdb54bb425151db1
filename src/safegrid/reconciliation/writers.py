"""Statement files written from entries, in each format the importer reads: the demo's
month of statements, the benchmarks' large files and the tests' small ones come from here.
(Banks write the real ones; these follow the same standards.)"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

from openpyxl import Workbook

from safegrid.reconciliation import column_maps


@dataclasses.dataclass(frozen=True)
class Line:
    amount: Decimal  # signed
    day: date
    reference: str
    remark: str = ""


@dataclasses.dataclass(frozen=True)
class Sheet:
    account: str
    statement_id: str
    opening: Decimal
    lines: Sequence[Line]
    currency: str = "CNY"

    @property
    def closing(self) -> Decimal:
        return self.opening + sum((x.amount for x in self.lines), Decimal(0))


def camt053(sheets: Sequence[Sheet], version: int = 2) -> bytes:
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version:02d}"
    doc = Element("Document", xmlns=ns)
    body = SubElement(doc, "BkToCstmrStmt")
    hdr = SubElement(body, "GrpHdr")
    SubElement(hdr, "MsgId").text = f"SG-{sheets[0].statement_id}"
    SubElement(hdr, "CreDtTm").text = "2026-01-01T08:00:00+08:00"
    for n, s in enumerate(sheets, 1):
        st = SubElement(body, "Stmt")
        SubElement(st, "Id").text = s.statement_id
        SubElement(st, "ElctrncSeqNb").text = str(n)
        acct = SubElement(st, "Acct")
        SubElement(SubElement(SubElement(acct, "Id"), "Othr"), "Id").text = s.account
        SubElement(acct, "Ccy").text = s.currency
        first = s.lines[0].day if s.lines else date(2026, 1, 1)
        last = s.lines[-1].day if s.lines else first
        for code, amount, day in (("OPBD", s.opening, first), ("CLBD", s.closing, last)):
            bal = SubElement(st, "Bal")
            SubElement(SubElement(SubElement(bal, "Tp"), "CdOrPrtry"), "Cd").text = code
            _amount(bal, amount, s.currency)
            SubElement(SubElement(bal, "Dt"), "Dt").text = day.isoformat()
        for x in s.lines:
            e = SubElement(st, "Ntry")
            _amount(e, x.amount, s.currency)
            sts = SubElement(e, "Sts")
            if version >= 8:
                SubElement(sts, "Cd").text = "BOOK"
            else:
                sts.text = "BOOK"
            SubElement(SubElement(e, "BookgDt"), "Dt").text = x.day.isoformat()
            SubElement(SubElement(e, "ValDt"), "Dt").text = x.day.isoformat()
            SubElement(e, "AcctSvcrRef").text = f"B{x.reference}"
            tx = SubElement(SubElement(e, "NtryDtls"), "TxDtls")
            SubElement(SubElement(tx, "Refs"), "EndToEndId").text = x.reference
            if x.remark:
                SubElement(SubElement(tx, "RmtInf"), "Ustrd").text = x.remark
    xml = tostring(doc, encoding="unicode").encode()
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + xml


def _amount(parent: Element, amount: Decimal, currency: str) -> None:
    SubElement(parent, "Amt", Ccy=currency).text = f"{abs(amount):.2f}"
    SubElement(parent, "CdtDbtInd").text = "CRDT" if amount >= 0 else "DBIT"


def _swift_amount(value: Decimal) -> str:
    return f"{abs(value):.2f}".replace(".", ",")


def mt940(sheets: Sequence[Sheet]) -> bytes:
    out: list[str] = []
    for n, s in enumerate(sheets, 1):
        first = s.lines[0].day if s.lines else date(2026, 1, 1)
        last = s.lines[-1].day if s.lines else first
        out += [f":20:{s.statement_id}", f":25:{s.account}", f":28C:{n}/1"]
        sign = "C" if s.opening >= 0 else "D"
        out.append(f":60F:{sign}{first:%y%m%d}{s.currency}{_swift_amount(s.opening)}")
        for x in s.lines:
            mark = "C" if x.amount >= 0 else "D"
            out.append(
                f":61:{x.day:%y%m%d}{x.day:%m%d}{mark}{_swift_amount(x.amount)}NTRF{x.reference[:16]}"
            )
            out.append(f":86:{x.remark if x.remark.isascii() and x.remark else x.reference}")
        sign = "C" if s.closing >= 0 else "D"
        out += [f":62F:{sign}{last:%y%m%d}{s.currency}{_swift_amount(s.closing)}", "-"]
    return ("\r\n".join(out) + "\r\n").encode("ascii", "replace")


def _table(s: Sheet, bank: str) -> list[list[str]]:
    m = column_maps.get(bank)
    label = {k: v[0] for k, v in m.header_fields.items()}
    ccy = next((k for k, v in m.currency_names.items() if v == s.currency), s.currency)
    rows = [
        [f"{m.name.split(' / ')[0]} 账户交易明细"],
        [f"{label['account']}：{s.account}"],
        [label["currency"], ccy],
        [label["statement_id"], s.statement_id],
        [label["opening_balance"], f"{s.opening:.2f}"],
        [],
    ]
    cols = m.columns
    order = [
        k
        for k in (
            "booking_date",
            "value_date",
            "debit",
            "credit",
            "amount",
            "balance",
            "reference",
            "counterparty",
            "remark",
        )
        if k in cols
    ]
    rows.append([cols[k] for k in order])
    balance = s.opening
    for x in s.lines:
        balance += x.amount
        value = {
            "booking_date": x.day.strftime(m.date_formats[0]),
            "value_date": x.day.strftime(m.date_formats[0]),
            "debit": f"{-x.amount:,.2f}" if x.amount < 0 else "",
            "credit": f"{x.amount:,.2f}" if x.amount >= 0 else "",
            "amount": f"{x.amount:.2f}",
            "balance": f"{balance:.2f}",
            "reference": x.reference,
            "counterparty": "国网浙江电力",
            "remark": x.remark,
        }
        rows.append([value[k] for k in order])
    rows += [[], [label["closing_balance"], f"{s.closing:.2f}"]]
    return rows


def bank_csv(s: Sheet, bank: str, encoding: str = "gbk") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(_table(s, bank))
    return buf.getvalue().encode(encoding)


def bank_xlsx(s: Sheet, bank: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in _table(s, bank):
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
