"""Money is Decimal yuan at fen precision, rounded once, half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Numeric
from sqlalchemy.types import TypeDecorator

FEN = Decimal("0.01")


def to_fen(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


class Money(TypeDecorator[Decimal]):
    """NUMERIC(18,2) that refuses floats and un-rounded values on the way in."""

    impl = Numeric(18, 2, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must not be a float")
        dec = Decimal(value)
        if dec != dec.quantize(FEN):
            raise ValueError(f"money {dec} has more than fen precision; round it first")
        return dec

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else to_fen(Decimal(str(value)))
