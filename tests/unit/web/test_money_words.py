"""Receipts print the amount in Chinese capitals beside the figures (issue 13, PAY-1)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from safegrid.web.money_words import rmb_capitals


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("88.00", "捌拾捌元整"),
        ("36.50", "叁拾陆元伍角"),
        ("100.05", "壹佰元零伍分"),
        ("120000.07", "壹拾贰万元零柒分"),
        ("0.01", "壹分"),
        ("-12.00", "负壹拾贰元整"),
    ],
)
def test_pay_1_amount_in_chinese_capitals(amount: str, words: str) -> None:
    assert rmb_capitals(Decimal(amount)) == words


def test_nothing_for_no_amount() -> None:
    assert rmb_capitals(None) == ""
