"""Writing an export as CSV or Excel with its visible and embedded watermark (DATA-5)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font

from safegrid.datause.watermark import CSV_TRAILER, XLSX_PROPERTY

Row = Sequence[object]

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# carriage return, strips them and then does); OWASP's CSV-injection guidance.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(row: Row) -> list[object]:
    """The row as every exporter writes it: a text cell that a spreadsheet would run as a
    formula gets a leading apostrophe, so ``=HYPERLINK(...)`` in a customer's name stays
    text in the exporter's Excel (issue 12) instead of reaching into unmasked columns."""
    return [
        "'" + value if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) else value
        for value in row
    ]


def write_csv(header: Row, rows: Sequence[Row], visible: str, token: str) -> bytes:
    out = io.StringIO()
    # First line: the watermark a person sees; last line: the signed token.
    out.write(f"# {visible}\r\n")
    # CRLF (RFC 4180): the writer quotes any field holding a character of its line
    # terminator, so only with CRLF is a bare \r in a value quoted rather than left to split
    # the row in Excel (and start the next one with a formula).
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(neutralised(header))
    writer.writerows(neutralised(row) for row in rows)
    out.write(f"{CSV_TRAILER}{token}\r\n")
    # BOM: Excel opens UTF-8 CSV with Chinese text correctly only with it.
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(title: str, header: Row, rows: Sequence[Row], visible: str, token: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append([visible])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(header), 1))
    ws["A1"].font = Font(bold=True, color="C00000")
    ws.append(neutralised(header))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(neutralised(row))
    # Printed pages carry the watermark too: header and footer of every sheet page.
    ws.oddHeader.center.text = visible
    ws.oddFooter.center.text = visible
    ws.evenHeader.center.text = visible
    ws.evenFooter.center.text = visible
    ws.freeze_panes = "A3"
    wb.custom_doc_props.append(StringProperty(name=XLSX_PROPERTY, value=token))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
