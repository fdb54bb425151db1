"""What a bank statement file holds, whatever its format: the parsers' common output.

Amounts are signed Decimals (credits positive, debits negative) so every check and the
matcher reads one shape; ``where`` names the line or XML element a value came from, so a
refusal can point at it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

from safegrid.platform.errors import ValidationProblem


class StatementError(ValidationProblem):
    """A statement file that cannot be imported: the message names the line or element."""

    def __init__(self, message: str, *, where: str) -> None:
        super().__init__(f"{where}: {message}", field=where)
        self.where = where


@dataclasses.dataclass(frozen=True)
class ParsedEntry:
    amount: Decimal  # signed: debits negative
    currency: str
    booking_date: date | None
    value_date: date | None
    references: dict[str, str]
    where: str


@dataclasses.dataclass(frozen=True)
class ParsedStatement:
    account: str
    statement_id: str
    sequence: str
    currency: str
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    opening_currency: str | None
    closing_currency: str | None
    entries: tuple[ParsedEntry, ...]
    where: str

    @property
    def statement_ref(self) -> str:
        return f"{self.statement_id}/{self.sequence}" if self.sequence else self.statement_id

    def content_hash(self) -> str:
        """SHA-256 of what the statement says (not of the file's bytes): the same statement
        re-exported with other whitespace or encoding is still recognised."""
        body = {
            "account": self.account,
            "ref": self.statement_ref,
            "opening": str(self.opening_balance),
            "closing": str(self.closing_balance),
            "entries": [
                [str(e.amount), e.currency, str(e.booking_date), str(e.value_date),
                 sorted(e.references.items())]
                for e in self.entries
            ],
        }  # fmt: skip
        return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class ParsedFile:
    format: str
    statements: tuple[ParsedStatement, ...]

    def as_json(self) -> dict[str, Any]:
        """The shape `safegrid statements parse --json` prints (issue 14)."""
        return {
            "format": self.format,
            "statements": [
                {
                    "account": s.account,
                    "opening_balance": _dec(s.opening_balance),
                    "closing_balance": _dec(s.closing_balance),
                    "entries": [
                        {
                            "amount": str(e.amount),
                            "currency": e.currency,
                            "value_date": _day(e.value_date),
                            "booking_date": _day(e.booking_date),
                            "references": dict(e.references),
                        }
                        for e in s.entries
                    ],
                }
                for s in self.statements
            ],
        }


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
