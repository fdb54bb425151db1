"""What the ledger accepts: money at fen precision, keys and references of 1–64 characters
(errors name the field, 422)."""

from __future__ import annotations

from decimal import Decimal

from safegrid.platform.errors import ValidationProblem
from safegrid.platform.money import FEN


def check_amount(amount: object) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationProblem("金额须为 Decimal / amount must be a Decimal", field="amount")
    if amount <= 0:
        raise ValidationProblem("金额必须大于零 / amount must be greater than 0", field="amount")
    if amount != amount.quantize(FEN):
        raise ValidationProblem(
            "金额最多两位小数 / amount has more than fen precision", field="amount"
        )
    if amount >= Decimal("1e16"):
        raise ValidationProblem("金额过大 / amount is too large", field="amount")
    return amount


def check_key(value: str, field: str) -> None:
    if not value or len(value) > 64:
        raise ValidationProblem(f"{field} 须为 1–64 个字符 / must be 1–64 characters", field=field)
