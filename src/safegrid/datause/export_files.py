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


def write_csv(header: Row, rows: Sequence[Row], visible: str, token: str) -> bytes:
    out = io.StringIO()
    # First line: the watermark a person sees; last line: the signed token.
    out.write(f"# {visible}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    out.write(f"{CSV_TRAILER}{token}\n")
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
    ws.append(list(header))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
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
