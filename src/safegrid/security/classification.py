"""The data inventory (DATA-1), generated from the column declarations.

Nothing here is maintained by hand: a column declared ``info={"sensitive": kind}`` (or an
encrypted secret) appears with its table, class, whether it is encrypted at rest and
whether it is searchable through a blind index; row counts come from the database.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Column, func, select

from safegrid.platform.db import Base
from safegrid.platform.uow import UnitOfWork
from safegrid.security.fields import EncryptedString
from safegrid.security.scope import unscoped

SECRET = "secret"  # noqa: S105 - a class name, not a secret: the class of credentials that are encrypted (e.g. TOTP seeds)


@dataclasses.dataclass(frozen=True)
class SensitiveColumn:
    table: str
    column: str
    kind: str  # id_number | phone | address | bank_account | credit_code | secret
    encrypted: bool
    searchable: bool

    @property
    def field(self) -> str:
        return f"{self.table}.{self.column}"


def _kind(col: Column[Any]) -> str | None:
    kind = col.info.get("sensitive")
    if kind:
        return str(kind)
    if col.info.get("secret") and col.info.get("encrypted"):
        return SECRET
    return None


def sensitive_columns() -> list[SensitiveColumn]:
    """Every declared sensitive column, in table order — the one list exports, reveal
    requests and the inventory use."""
    out = []
    for table in Base.metadata.sorted_tables:
        for col in table.columns:
            kind = _kind(col)
            if kind is None:
                continue
            out.append(
                SensitiveColumn(
                    table=table.name,
                    column=col.name,
                    kind=kind,
                    encrypted=isinstance(col.type, EncryptedString),
                    searchable=bool(col.info.get("searchable")),
                )
            )
    return out


def kind_of(table: str, column: str) -> str | None:
    col = Base.metadata.tables[table].c.get(column)
    return None if col is None else _kind(col)


@dataclasses.dataclass(frozen=True)
class InventoryRow:
    column: SensitiveColumn
    rows: int  # rows holding a value (NULL is not data)


def inventory(uow: UnitOfWork) -> list[InventoryRow]:
    """Platform-wide counts: the inventory describes the data holdings, not one region."""
    out = []
    with uow:
        for sc in sensitive_columns():
            col = Base.metadata.tables[sc.table].c[sc.column]
            count = uow.session.scalar(
                select(func.count()).select_from(col.table).where(col.is_not(None)),
                execution_options=unscoped("the data inventory counts every unit's values"),
            )
            out.append(InventoryRow(sc, int(count or 0)))
    return out
