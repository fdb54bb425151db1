"""Sequential business numbers (customer 客户编号, account 户号): one counter row per prefix.

``MAX(number) + 1`` hands the same number to every writer that reads before the first one
commits, and on PostgreSQL they then collide on the unique number. Here a number is taken
by one atomic upsert of the prefix's counter row (``INSERT … ON CONFLICT DO UPDATE SET
last_value = last_value + n RETURNING last_value``) in the caller's transaction. The row
stays locked until that transaction ends (PostgreSQL row lock; SQLite serialises writers
with BEGIN IMMEDIATE), so writers of one prefix queue for numbers, writers of different
prefixes do not wait for each other, and a transaction that rolls back gives its numbers
back with it. Migration 0006 seeded the counters from the numbers already stored.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import BigInteger, String, bindparam
from sqlalchemy.orm import Mapped, Session, mapped_column

from safegrid.platform.db import Base
from safegrid.platform.sql_dialect import upsert


class NumberCounter(Base):
    """The last number issued under a prefix (e.g. ``K0012`` → ``K00120000042``)."""

    __tablename__ = "number_counters"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger)


@functools.lru_cache(maxsize=32)
def _take_statement(dialect_name: str, count: int) -> Any:
    """Built once per backend and count, the prefix bound at each run: a hall takes a
    ticket number hundreds of times a second, and building the upsert anew cost more CPU
    than running it."""
    table = NumberCounter.__table__
    return (
        upsert(table, dialect_name, key=["prefix"], set_={"last_value": table.c.last_value + count})
        .values(prefix=bindparam("p"), last_value=count)
        .returning(table.c.last_value)
    )


def take(session: Session, prefix: str, count: int = 1, *, digits: int = 7) -> list[str]:
    """``count`` consecutive numbers ``<prefix><serial>`` (serial zero-padded to ``digits``),
    reserved in the caller's transaction."""
    if count < 1:
        raise ValueError("take at least one number")
    stmt = _take_statement(session.get_bind().dialect.name, count)
    last = int(session.execute(stmt, {"p": prefix}).scalar_one())
    return [f"{prefix}{serial:0{digits}d}" for serial in range(last - count + 1, last + 1)]
