"""My work (待办): the registry of to-do providers the home page asks for counts.

A domain contributes what its staff must do next by declaring :class:`TodoProvider`
objects in its own web package (``web/<domain>/todo.py``, a ``PROVIDERS`` tuple) and
listing them in :mod:`safegrid.web.routes` next to its router. A provider is data: the
label (an English msgid), the permission that makes it someone's work, the page where the
work is done, and a count query. The count runs in a read-only unit of work of the signed-in
person (domain queries open it themselves, ``with uow:``), so the row scope (ORG-2) limits it to their unit like every other query; what
"mine" means beyond the unit (the reader's areas, approvals another person filed) is the
query's business. ADR 0024.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import ColumnElement, case, func, select

from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.policy import Perm
from safegrid.security.work import Work


@dataclasses.dataclass(frozen=True)
class Tally:
    """How many items wait, and how many of them are past their deadline (shown in red)."""

    count: int
    overdue: int = 0


CountQuery = Callable[[UnitOfWork], Tally]


def tally_rows(
    uow: UnitOfWork,
    entity: Any,
    *where: ColumnElement[bool],
    overdue: ColumnElement[bool] | None = None,
) -> Tally:
    """One ``COUNT`` (and the overdue part in the same statement) of a scoped table; the
    session adds the caller's row scope, so a provider states only what the work is."""
    late = func.sum(case((overdue, 1), else_=0)) if overdue is not None else func.sum(0)
    with uow:
        row = uow.session.execute(select(func.count(), late).select_from(entity).where(*where))
        count, overdue_count = row.one()
    return Tally(int(count or 0), int(overdue_count or 0))


@dataclasses.dataclass(frozen=True)
class TodoProvider:
    key: str  # unique, e.g. "counter.receipts_to_check"
    label: str  # English msgid: "Receipts waiting for my check"
    area: str  # the navigation area it belongs to (navigation.AREAS)
    perm: Perm  # whoever holds it has this work
    link: str  # where the work is done
    count: CountQuery  # gets a fresh read-only unit of work and opens it (``with uow:``)
    overdue_hint: str = ""  # msgid saying what "overdue" means here
    # Extra condition on the person beyond the permission (e.g. a post), rarely needed.
    applies: Callable[[Actor], bool] = lambda actor: True


@dataclasses.dataclass(frozen=True)
class TodoItem:
    provider: TodoProvider
    tally: Tally

    @property
    def overdue(self) -> bool:
        return self.tally.overdue > 0


_REGISTRY: Final[dict[str, TodoProvider]] = {}


def register(*providers: TodoProvider) -> None:
    """Add providers once (at import of :mod:`safegrid.web.routes`); a key used twice by
    different providers is a programming error, not something to paper over."""
    for provider in providers:
        known = _REGISTRY.setdefault(provider.key, provider)
        if known is not provider:
            raise ValueError(f"to-do provider {provider.key!r} registered twice")


def providers() -> tuple[TodoProvider, ...]:
    return tuple(_REGISTRY.values())


def providers_for(actor: Actor) -> list[TodoProvider]:
    return [p for p in _REGISTRY.values() if actor.can(p.perm) and p.applies(actor)]


def my_work(work: Work) -> list[TodoItem]:
    """The signed-in person's to-do list: overdue first, then waiting work, then the rest
    (shown as "nothing waiting" so a post sees what it is responsible for)."""
    items = []
    for provider in providers_for(work.actor):
        items.append(TodoItem(provider, provider.count(work.read())))
    order = {p.key: i for i, p in enumerate(_REGISTRY.values())}
    return sorted(
        items,
        key=lambda i: (i.tally.overdue == 0, i.tally.count == 0, order[i.provider.key]),
    )
