"""What the monthly report says (REC-4): totals per colour and per unit, the open cases and
the differences, read in a few grouped queries."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safegrid.org.models import OrgUnit
from safegrid.platform.money import to_fen
from safegrid.reconciliation.models import CaseStatus, Colour, MatchItem, ReconCase

SHOWN_DIFFERENCES = 500


@dataclasses.dataclass(frozen=True)
class Total:
    unit: str
    colour: Colour
    items: int
    system: Decimal
    bank: Decimal
    difference: Decimal


@dataclasses.dataclass(frozen=True)
class Difference:
    item_id: int
    unit: str
    colour: Colour
    rule: str
    day: date | None
    system: Decimal | None
    bank: Decimal | None
    difference: Decimal
    reason: str
    case_id: int | None
    case_status: str | None
    due_on: date | None


@dataclasses.dataclass(frozen=True)
class ReportData:
    period: str
    totals: list[Total]
    differences: list[Difference]
    open_cases: int

    def colour_totals(self) -> dict[Colour, tuple[int, Decimal]]:
        out: dict[Colour, tuple[int, Decimal]] = {}
        for t in self.totals:
            n, d = out.get(t.colour, (0, Decimal(0)))
            out[t.colour] = (n + t.items, d + t.difference)
        return out


def _dec(value: object) -> Decimal:
    return to_fen(Decimal(str(value or 0)))


def gather(s: Session, period: str, options: dict[str, Any] | None = None) -> ReportData:
    """In the session's scope (a unit's staff see their subtree's part, ORG-2) unless
    ``options`` say otherwise (the signed report covers the whole utility)."""
    opts = options or {}
    rows = s.execute(
        select(
            OrgUnit.name,
            MatchItem.colour,
            func.count(),
            func.sum(func.coalesce(MatchItem.system_amount, 0)),
            func.sum(func.coalesce(MatchItem.bank_amount, 0)),
            func.sum(MatchItem.difference),
        )
        .join(OrgUnit, OrgUnit.id == MatchItem.org_unit_id)
        .where(MatchItem.period == period)
        .group_by(OrgUnit.name, MatchItem.colour)
        .order_by(OrgUnit.name, MatchItem.colour),
        execution_options=opts,
    ).all()
    totals = [Total(u, Colour(c), n, _dec(a), _dec(b), _dec(d)) for u, c, n, a, b, d in rows]
    diffs = s.execute(
        select(MatchItem, OrgUnit.name, ReconCase.id, ReconCase.status, ReconCase.due_on)
        .join(OrgUnit, OrgUnit.id == MatchItem.org_unit_id)
        .outerjoin(ReconCase, ReconCase.item_id == MatchItem.id)
        .where(MatchItem.period == period, MatchItem.colour != Colour.GREEN)
        .order_by(MatchItem.colour, MatchItem.id)
        .limit(SHOWN_DIFFERENCES),
        execution_options=opts,
    ).all()
    differences = [
        Difference(
            i.id,
            unit,
            i.colour,
            i.rule,
            i.day,
            i.system_amount,
            i.bank_amount,
            i.difference,
            i.reason,
            cid,
            status.value if status else None,
            due,
        )
        for i, unit, cid, status, due in diffs
    ]
    open_cases = s.scalar(
        select(func.count())
        .select_from(ReconCase)
        .join(MatchItem, MatchItem.id == ReconCase.item_id)
        .where(MatchItem.period == period, ReconCase.status != CaseStatus.CLOSED),
        execution_options=opts,
    )
    return ReportData(period, totals, differences, int(open_cases or 0))
