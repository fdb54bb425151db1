"""REC-1: every statement format is read into one shape and checked completely; bad files
are refused naming the line or XML element."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from safegrid.platform.errors import ValidationProblem
from safegrid.reconciliation import formats, writers
from safegrid.reconciliation.statement import StatementError

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "bank"
SHEET = writers.Sheet(
    "33010001",
    "ST-2026-11",
    Decimal("100.00"),
    [
        writers.Line(Decimal("1234.56"), date(2026, 11, 3), "E2E-1", "电费"),
        writers.Line(Decimal("-2.00"), date(2026, 11, 4), "E2E-2"),
    ],
)


@pytest.mark.parametrize("version", range(2, 9))
def test_rec_1_camt053_every_version(version: int) -> None:
    parsed = formats.read("s.xml", writers.camt053([SHEET, SHEET], version))
    assert parsed.format == f"camt.053.001.0{version}"
    out = parsed.as_json()
    assert set(out) == {"format", "statements"} and len(out["statements"]) == 2
    st = out["statements"][0]
    assert set(st) == {"account", "opening_balance", "closing_balance", "entries"}
    assert st["closing_balance"] == "1332.56"
    assert st["entries"][1] == {
        "amount": "-2.00",
        "currency": "CNY",
        "value_date": "2026-11-04",
        "booking_date": "2026-11-04",
        "references": {"end_to_end_id": "E2E-2", "acct_svcr_ref": "BE2E-2"},
    }


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("s.sta", writers.mt940([SHEET, SHEET])),
        ("s.csv", writers.bank_csv(SHEET, "icbc", "gbk")),
        ("s.csv", writers.bank_csv(SHEET, "city_bank", "utf-8")),
        ("s.xlsx", writers.bank_xlsx(SHEET, "icbc")),
        ("s.xlsx", writers.bank_xlsx(SHEET, "city_bank")),
    ],
)
def test_rec_1_mt940_and_chinese_bank_tables(name: str, data: bytes) -> None:
    parsed = formats.read(name, data)
    for st in parsed.as_json()["statements"]:
        assert st["account"] == "33010001"
        assert [e["amount"] for e in st["entries"]] == ["1234.56", "-2.00"]
        assert st["opening_balance"] == "100.00" and st["closing_balance"] == "1332.56"


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/data/bank not beside the checkout")
@pytest.mark.parametrize("path", sorted(SHARED.glob("*.*")) if SHARED.is_dir() else [])
def test_rec_1_parses_every_shared_sample(path: Path) -> None:
    parsed = formats.parse(path.name, path.read_bytes())
    assert parsed.statements and all(s.entries for s in parsed.statements)
    json.dumps(parsed.as_json())


def test_rec_1_shared_samples_that_do_not_add_up_are_refused_by_the_check() -> None:
    if not SHARED.is_dir():
        pytest.skip("shared/data/bank not beside the checkout")
    ing = formats.parse("jejik_ing.sta", (SHARED / "jejik_ing.sta").read_bytes())
    with pytest.raises(StatementError, match="do not reconcile"):
        formats.check(ing)
    multi = SHARED / "genkgo_camt053.v2.multi.statement.xml"
    formats.read(multi.name, multi.read_bytes())  # this one adds up


def _camt() -> str:
    return writers.camt053([SHEET]).decode()


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("s.xml", _camt()[:-40], "malformed XML"),
        ("s.xml", _camt().replace("<Cd>OPBD</Cd>", "<Cd>XXXX</Cd>"), "missing opening balance"),
        ("s.xml", _camt().replace(">1234.56<", ">1234.57<"), "do not reconcile"),
        (
            "s.xml",
            _camt().replace('Ccy="CNY">1234.56', 'Ccy="XQQ">1234.56'),
            "Stmt[1]/Ntry[1]/Amt/@Ccy",
        ),
        ("s.xml", _camt().replace(">1234.56<", ">12,34<"), "Stmt[1]/Ntry[1]/Amt"),
        ("s.xml", _camt().replace("camt.053.001.02", "camt.052.001.02"), "not a camt.053"),
        (
            "s.sta",
            "\n".join(
                x for x in writers.mt940([SHEET]).decode().splitlines() if not x.startswith(":60F:")
            ),
            "missing opening balance",
        ),
        ("s.sta", writers.mt940([SHEET]).decode().replace(":61:2611", ":61:ZZ11"), "line 5"),
        (
            "s.sta",
            writers.mt940([SHEET]).decode().replace("1234,56", "1234,50"),
            "do not reconcile",
        ),
        (
            "s.csv",
            writers.bank_csv(SHEET, "icbc").decode("gbk").replace("1,234.56", "12x4"),
            "line 8",
        ),
        ("s.bin", "\x00garbage", "unrecognised"),
    ],
)
def test_rec_1_bad_files_are_refused_naming_where(name: str, data: str, says: str) -> None:
    raw = data.encode("gbk") if name.endswith(".csv") else data.encode()
    with pytest.raises(StatementError) as caught:
        formats.read(name, raw)
    assert says in caught.value.message, caught.value.message


def test_rec_1_unknown_column_map_is_named() -> None:
    with pytest.raises(ValidationProblem, match="unknown bank column map 'nosuch'"):
        formats.read("s.csv", writers.bank_csv(SHEET, "icbc"), bank="nosuch")


def test_rec_1_xml_entity_expansion_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>'
    with pytest.raises(StatementError, match="unsafe XML"):
        formats.read("s.xml", bomb)


def test_rec_1_content_hash_ignores_layout_but_not_content() -> None:
    a = formats.read("a.xml", writers.camt053([SHEET])).statements[0]
    b = formats.read("b.xml", writers.camt053([SHEET]).replace(b"><", b">\n  <")).statements[0]
    c = formats.read("c.sta", writers.mt940([SHEET])).statements[0]
    assert a.content_hash() == b.content_hash()
    assert a.content_hash() != c.content_hash()  # another statement id
