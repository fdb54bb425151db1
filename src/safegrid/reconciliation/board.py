"""The match board's reads (REC-2): a month's items by colour, in the caller's scope
(ORG-2: a county's staff see their subtree's items), with both sides for drill-down."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from safegrid.platform.paging import PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import periods
from safegrid.reconciliation.models import Colour, MatchItem, ReconCase, StatementEntry


@dataclasses.dataclass(frozen=True)
class BoardRow:
    item: MatchItem
    entry: StatementEntry | None
    case: ReconCase | None


@dataclasses.dataclass(frozen=True)
class Board:
    period: str
    counts: dict[str, int]
    rows: list[BoardRow]
    total: int
    page: int
    size: int


def board(uow: UnitOfWork, period: str, colour: Colour | None, paging: PageQuery) -> Board:
    periods.bounds(period)
    with uow:
        s = uow.session
        counts = {
            str(c): n
            for c, n in s.execute(
                select(MatchItem.colour, func.count())
                .where(MatchItem.period == period)
                .group_by(MatchItem.colour)
            ).all()
        }
        where = [MatchItem.period == period]
        if colour is not None:
            where.append(MatchItem.colour == colour)
        total = s.scalar(select(func.count()).select_from(MatchItem).where(*where)) or 0
        rows = s.execute(
            select(MatchItem, StatementEntry, ReconCase)
            .outerjoin(StatementEntry, StatementEntry.id == MatchItem.bank_entry_id)
            .outerjoin(ReconCase, ReconCase.item_id == MatchItem.id)
            .where(*where)
            .order_by(MatchItem.colour.desc(), MatchItem.id)
            .offset(paging.offset)
            .limit(paging.size)
        ).all()
        items = [BoardRow(i, e, c) for i, e, c in rows]
    return Board(period, counts, items, total, paging.page, paging.size)
