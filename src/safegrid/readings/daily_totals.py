"""Each org unit's daily energy: the sum of its meters' daily readings, kept by their writers.

A region's daily load (the forecast check of ANA-2/ANA-5) summed every meter's year of
daily readings on each request: 7.3 million rows at province scope on the demo, ~10 s
(issue 13 asks ≤ 1 s). The writers of daily readings add what they wrote here in the same
transaction — the AMI feed (``readings.store``) and the demo's history — so the region's
load is read from a few hundred rows per unit. Daily readings are never edited or deleted
(a wrong month is corrected on its frozen usage, BILL-7), so adding is enough.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection, Date, ForeignKey, Numeric, literal_column
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base
from safegrid.platform.sql_dialect import upsert

EPOCH: Final = date(1970, 1, 1)


class UnitDailyLoad(OrgScoped, Base):
    """kWh read on ``day`` from the meters of one org unit (the unit the readings carry)."""

    __tablename__ = "unit_daily_loads"

    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kwh: Mapped[Decimal] = mapped_column(Numeric(16, 2))


def add(
    conn: Connection,
    org_unit_id: np.ndarray[Any, Any],
    day: np.ndarray[Any, Any],
    kwh_c: np.ndarray[Any, Any],
) -> int:
    """Add readings just written (one value per reading: unit, day as days since
    1970-01-01, kWh in hundredths) to their units' days; returns the (unit, day) rows."""
    if not len(day):
        return 0
    keys = np.stack([np.asarray(org_unit_id, np.int64), np.asarray(day, np.int64)], axis=1)
    pairs, where = np.unique(keys, axis=0, return_inverse=True)
    sums = np.zeros(len(pairs), np.int64)
    np.add.at(sums, where.ravel(), np.asarray(kwh_c, np.int64))
    table = UnitDailyLoad.__table__
    stmt = upsert(
        table,
        conn.dialect.name,
        ["org_unit_id", "day"],
        {"kwh": table.c.kwh + literal_column("excluded.kwh")},
    )
    conn.execute(
        stmt,
        [
            {
                "org_unit_id": int(unit),
                "day": EPOCH + timedelta(days=int(d)),
                "kwh": Decimal(int(total)).scaleb(-2),
            }
            for (unit, d), total in zip(pairs, sums, strict=True)
        ],
    )
    return len(pairs)
