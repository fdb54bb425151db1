"""The case workbench's reads (REC-3): the caller's cases (ORG-2 scope) with the item they
explain, the owner, and the working days left until the 5-working-day deadline — negative
once overdue — on the Chinese working-day calendar."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date

from sqlalchemy import func, select

from safegrid.platform import clock
from safegrid.platform.paging import PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import calendar_days, cases
from safegrid.reconciliation.models import CaseStatus, MatchItem, ReconCase, StatementEntry
from safegrid.security.models import StaffAccount


class Show(enum.StrEnum):
    OPEN = "open"  # open or resolved: still someone's work
    OVERDUE = "overdue"
    CLOSED = "closed"
    ALL = "all"


@dataclasses.dataclass(frozen=True)
class Owner:
    id: int
    username: str
    real_name: str


@dataclasses.dataclass(frozen=True)
class CaseRow:
    case: ReconCase
    item: MatchItem
    entry: StatementEntry | None
    owner: Owner | None
    days_left: int | None  # working days; None once closed
    candidates: list[Owner]

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclasses.dataclass(frozen=True)
class Workbench:
    show: Show
    rows: list[CaseRow]
    total: int
    page: int
    size: int
    today: date


def workbench(uow: UnitOfWork, show: Show, paging: PageQuery) -> Workbench:
    today = clock.business_day()
    where = []
    if show == Show.OPEN:
        where.append(ReconCase.status != CaseStatus.CLOSED)
    elif show == Show.OVERDUE:
        where += [ReconCase.status != CaseStatus.CLOSED, ReconCase.due_on < today]
    elif show == Show.CLOSED:
        where.append(ReconCase.status == CaseStatus.CLOSED)
    with uow:
        s = uow.session
        total = s.scalar(select(func.count()).select_from(ReconCase).where(*where)) or 0
        found = s.execute(
            select(ReconCase, MatchItem, StatementEntry)
            .join(MatchItem, MatchItem.id == ReconCase.item_id)
            .outerjoin(StatementEntry, StatementEntry.id == MatchItem.bank_entry_id)
            .where(*where)
            .order_by(ReconCase.status, ReconCase.due_on, ReconCase.id)
            .offset(paging.offset)
            .limit(paging.size)
        ).all()
        owners = _owners(uow, {c.owner_id for c, _, _ in found if c.owner_id})
        units = {c.org_unit_id for c, *_ in found if c.status != CaseStatus.CLOSED}
        choices = {u: _candidates(uow, u) for u in units}
        rows = [
            CaseRow(
                c, i, e,
                owners.get(c.owner_id or 0),
                None if c.status == CaseStatus.CLOSED
                else calendar_days.working_days_left(today, c.due_on),
                choices.get(c.org_unit_id, []),
            )
            for c, i, e in found
        ]  # fmt: skip
    return Workbench(show, rows, int(total), paging.page, paging.size, today)


def _owners(uow: UnitOfWork, ids: set[int]) -> dict[int, Owner]:
    # The owner may sit above the reader's unit: a name next to the case, no more.
    staff = uow.session.execute(
        select(StaffAccount.id, StaffAccount.username, StaffAccount.real_name).where(
            StaffAccount.id.in_(ids)
        ),
        execution_options=cases.OWNER_LOOKUP,
    ).all()
    return {i: Owner(i, u, r) for i, u, r in staff}


def _candidates(uow: UnitOfWork, unit_id: int) -> list[Owner]:
    staff = uow.session.scalars(
        cases.owner_candidates(unit_id), execution_options=cases.OWNER_LOOKUP
    ).all()
    return [Owner(a.id, a.username, a.real_name) for a in staff]
