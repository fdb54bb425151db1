"""REC-2: the matcher's COPY text — a bank reference with a tab, a backslash or a line break
cannot shift a column, NULL stays NULL, and fen become exact decimals."""

from __future__ import annotations

from datetime import date

from safegrid.reconciliation import bulk_write


def test_rec_2_copy_text_escapes_only_what_copy_reads_as_syntax() -> None:
    assert bulk_write.copy_text(["V-1", None, "现金解款"]) == ["V-1", "\\N", "现金解款"]
    assert bulk_write.copy_text(["a\tb", "c\\d", "e\nf\rg", None]) == [
        "a\\tb",
        "c\\\\d",
        "e\\nf\\rg",
        "\\N",
    ]
    assert bulk_write.copy_text([3, None, 0]) == ["3", "\\N", "0"]
    day = date(2026, 11, 3)
    assert bulk_write.copy_text([day, None, day]) == ["2026-11-03", "\\N", "2026-11-03"]


def test_rec_2_money_text_is_exact_fen() -> None:
    memo: dict[int | None, str] = {}
    assert bulk_write.money_text([15050, -30, 0, None, -123456789012], memo) == [
        "150.50",
        "-0.30",
        "0.00",
        "\\N",
        "-1234567890.12",
    ]
    assert bulk_write.money_text([-30, 7], memo) == ["-0.30", "0.07"]
