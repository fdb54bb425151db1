"""Amounts in Chinese capitals (大写金额), as receipts and bills print them beside the
figures so that a changed digit shows: 36.50 → 叁拾陆元伍角. The conversion is cn2an's."""

from __future__ import annotations

from decimal import Decimal

import cn2an


def rmb_capitals(amount: Decimal | str | None) -> str:
    """``Decimal("88.00")`` → ``"捌拾捌元整"``; a negative amount reads 负…; None → ""."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"))
    words = str(cn2an.an2cn(str(abs(value)), "rmb"))
    return ("负" if value < 0 else "") + words
