"""Keyset paging for long console lists (issue 13: every page in ≤ 1 s at province scope).

An offset page has to count every row in scope for its "page x of y" and skip every row
before it; over a province's 240,000 bills that is most of a request. A keyset page asks
for the rows after (or before) the last row shown, in an order an index keeps, so the
first, the next and the previous page each read about one page of rows. The total is
counted up to :data:`COUNT_CAP` + 1 rows only and shown as "10,000+" beyond.

The order is descending on ``keys`` whose last key is the primary key, so it is total.
A page is named by the id of a row on the edge of the previous one (``after`` for older
rows, ``before`` for newer); the key values of that row are read in the caller's scope,
so a cursor naming a row the caller cannot see is refused like an unknown one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from safegrid.platform.errors import ValidationProblem

T = TypeVar("T")
R = TypeVar("R")

COUNT_CAP: Final = 10_000
MAX_SIZE: Final = 200
UNKNOWN_CURSOR: Final = (
    "翻页位置无效，请从第一页开始 / unknown page position, start from the first page"
)


@dataclasses.dataclass(frozen=True)
class Cursor:
    """Which page: the first (neither), the rows after ``after`` or those before ``before``."""

    after: int | None = None
    before: int | None = None
    size: int = 20

    def __post_init__(self) -> None:
        if self.after is not None and self.before is not None:
            raise ValidationProblem(
                "翻页只能取一个方向 / page after or before, not both", field="before"
            )
        if not 1 <= self.size <= MAX_SIZE:
            raise ValidationProblem(
                f"每页 1 至 {MAX_SIZE} 行 / size is 1 to {MAX_SIZE}", field="size"
            )


@dataclasses.dataclass(frozen=True)
class Window(Generic[T]):
    """One page of rows with the cursors of its neighbours (None: no such page)."""

    items: list[T]
    newer: int | None  # ``before=`` of the previous page
    older: int | None  # ``after=`` of the next page
    total: int  # rows in scope matching the filter, counted up to COUNT_CAP + 1

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def shown_total(self) -> int:
        return min(self.total, COUNT_CAP)

    def map(self, convert: Callable[[T], R]) -> Window[R]:
        return Window([convert(i) for i in self.items], self.newer, self.older, self.total)


def window(
    session: Session,
    base: Select[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    cursor: Cursor,
    load: Callable[[list[int]], Sequence[T]],
    id_of: Callable[[T], int],
) -> Window[T]:
    """The page that ``cursor`` names of the rows ``base`` selects (filtered, unordered, over
    the keys' table), newest first by ``keys`` (the last one the primary key).

    Two steps: the page's ids from ``base`` alone, then ``load(ids)`` (its rows with what
    they show from other tables, e.g. joined for the account number). Joined in one
    statement, SQLite sorted every row in scope for the first page instead of walking the
    key order and stopping after one page.
    """
    edge = cursor.after if cursor.after is not None else cursor.before
    page = base.with_only_columns(*keys)
    if edge is not None:
        values = session.execute(select(*keys).where(keys[-1] == edge)).first()
        if values is None:
            field = "after" if cursor.after is not None else "before"
            raise ValidationProblem(UNKNOWN_CURSOR, field=field)
        row_key, edge_key = tuple_(*keys), tuple_(*values)
        page = page.where(row_key < edge_key if cursor.after is not None else row_key > edge_key)
    backwards = cursor.before is not None
    order = [k.asc() if backwards else k.desc() for k in keys]
    ids = [int(r[-1]) for r in session.execute(page.order_by(*order).limit(cursor.size + 1))]
    more = len(ids) > cursor.size
    ids = ids[: cursor.size]
    if backwards:
        ids.reverse()
    by_id = {id_of(row): row for row in load(ids)} if ids else {}
    # Going back, "more" means more newer rows; going forward, more older ones. The other
    # side has rows whenever a cursor brought us here.
    has_newer = more if backwards else edge is not None
    has_older = (edge is not None) if backwards else more
    counted = select(func.count()).select_from(
        base.with_only_columns(keys[-1]).order_by(None).limit(COUNT_CAP + 1).subquery()
    )
    return Window(
        items=[by_id[i] for i in ids if i in by_id],
        newer=ids[0] if ids and has_newer else None,
        older=ids[-1] if ids and has_older else None,
        total=session.scalar(counted) or 0,
    )
