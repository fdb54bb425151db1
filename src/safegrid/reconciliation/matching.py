"""The matcher (REC-2): one set-based run of a month, in SQL, for the whole utility.

The monthly job and a re-run from the console or CLI call the same :func:`do_run_month`.
A run rebuilds the system side (:mod:`system_side`), throws away its earlier undecided
conclusions and matches what is left in rule order — each rule an ``INSERT … SELECT`` of
pairs chosen one-to-one by window functions:

1. ``reference``: the bank entry's reference is the group's (voucher, end-to-end id, batch);
2. ``amount_date``: the same amount, value date within ``WINDOW_DAYS``, and the bank
   account's unit is the group's or above it;
3. ``fuzzy_reference``: the group's reference appears anywhere in the entry's references;
4. what is left on either side is red (missing at the bank / missing in SafeGrid).

Colours: no difference → green; |difference| ≤ 0.1 % of the system amount → yellow;
more → red. Items a person decided on (accepted, turned red) or that have a case are kept
with their sides, so a re-run never loses a decision.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, cast

from sqlalchemy import (
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import PermissionDeniedError
from safegrid.platform.sql_dialect import days_between, insert_skipping_conflicts, plus_days
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import cases, periods, system_side, three_way
from safegrid.reconciliation.events import MatchRunFinished
from safegrid.reconciliation.models import (
    Colour,
    MatchItem,
    ReconCase,
    StatementEntry,
    SystemGroup,
    WorkEntry,
    WorkGroup,
)
from safegrid.security.policy import Perm

WINDOW_DAYS: Final = 3
YELLOW_SHARE: Final = Decimal("0.001")
WHOLE = system_side.WHOLE_UTILITY
ITEM_COLUMNS: Final = [
    "period", "item_key", "colour", "rule", "system_kind", "system_ref", "system_amount",
    "system_count", "bank_entry_id", "bank_amount", "difference", "day", "reason", "run_at",
    "org_unit_id",
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class RunResult:
    period: str
    system_groups: int
    green: int
    yellow: int
    red: int
    cases_opened: int


def do_run_month(uow: UnitOfWork, period: str) -> RunResult:
    if not uow.actor.can(Perm.RECON_WORK):
        raise PermissionDeniedError("无对账权限 / not allowed to run reconciliation")
    first, last = periods.bounds(period)
    with uow:
        session = uow.session
        _forget_undecided(session, period)
        groups = system_side.rebuild(session, period)
        now = clock.now()
        _by_reference(session, period, first, last, now)
        _fill_work(session, period, first, last)
        _by_amount_and_day(session, period, now)
        _by_fuzzy_reference(session, period, now)
        _leftovers(session, period, first, last, now)
        three_way.check(session, period, now, _insert_items)
        opened = cases.open_for_red_items(uow, period)
        counts = dict(
            session.execute(
                select(MatchItem.colour, func.count())
                .where(MatchItem.period == period)
                .group_by(MatchItem.colour),
                execution_options=WHOLE,
            ).all()
        )
        result = RunResult(
            period, groups, counts.get(Colour.GREEN, 0), counts.get(Colour.YELLOW, 0),
            counts.get(Colour.RED, 0), opened,
        )  # fmt: skip
        uow.audit(
            "recon.month_matched",
            object_type="recon_period",
            object_id=period,
            after=dataclasses.asdict(result),
        )
        uow.emit(MatchRunFinished(period, result.green, result.yellow, result.red))
        uow.commit()
    return result


def _forget_undecided(session: Session, period: str) -> None:
    has_case = exists().where(ReconCase.item_id == MatchItem.id)
    session.execute(
        delete(MatchItem).where(
            MatchItem.period == period, MatchItem.decision.is_(None), ~has_case
        ),
        execution_options=WHOLE,
    )


def _free_groups(period: str) -> Any:
    # By item_key: the (period, item_key) unique index answers it.
    taken = exists().where(
        MatchItem.period == period,
        MatchItem.item_key == "sys:" + SystemGroup.kind + ":" + SystemGroup.ref,
    )
    return select(SystemGroup).where(SystemGroup.period == period, ~taken).subquery("g")


def _free_entries(first: date, last: date) -> Any:
    taken = exists().where(MatchItem.bank_entry_id == StatementEntry.id)
    return (
        select(StatementEntry)
        .where(StatementEntry.value_date.between(first, last), ~taken)
        .subquery("e")
    )


def _colour(diff: Any, system_amount: Any) -> Any:
    return case(
        (func.round(diff * 100) == 0, literal(Colour.GREEN.value)),
        (func.abs(diff) <= func.abs(system_amount) * YELLOW_SHARE, literal(Colour.YELLOW.value)),
        else_=literal(Colour.RED.value),
    )


def _insert_items(session: Session, chosen: Any) -> None:
    table = cast(Table, MatchItem.__table__)
    stmt = insert_skipping_conflicts(table, session.get_bind().dialect.name)
    session.execute(stmt.from_select(ITEM_COLUMNS, chosen), execution_options=WHOLE)


def _pairs(period: str, rule: str, g: Any, e: Any, now: datetime) -> Any:
    diff = e.c.amount - g.c.amount
    reason = f"{rule}: " + g.c.kind + " " + g.c.ref + " ↔ bank " + func.coalesce(e.c.reference, "-")
    return select(
        literal(period), "sys:" + g.c.kind + ":" + g.c.ref, _colour(diff, g.c.amount),
        literal(rule), g.c.kind, g.c.ref, g.c.amount, g.c.count, e.c.id, e.c.amount, diff,
        g.c.day, reason, literal(now), g.c.org_unit_id,
    )  # fmt: skip


def _by_reference(session: Session, period: str, first: date, last: date, now: datetime) -> None:
    """Rule 1 over the whole month: an index lookup per group."""
    g = _free_groups(period)
    e = _free_entries(first - timedelta(days=WINDOW_DAYS), last + timedelta(days=WINDOW_DAYS))
    chosen = _pairs(period, "reference", g, e, now).select_from(g.join(e, e.c.reference == g.c.ref))
    # SQLite: an INSERT … SELECT … ON CONFLICT needs a WHERE to parse.
    _insert_items(session, chosen.where(literal(True)))


def _fill_work(session: Session, period: str, first: date, last: date) -> None:
    """What rule 1 left (about 1 % of a month) into the scratch tables the others join."""
    _clear_work(session, period)
    g = _free_groups(period)
    session.execute(
        insert(cast(Table, WorkGroup.__table__)).from_select(
            ["group_id", "period", "amount", "day"],
            select(g.c.id, literal(period), g.c.amount, g.c.day),
        ),
        execution_options=WHOLE,
    )
    e = _free_entries(first - timedelta(days=WINDOW_DAYS), last + timedelta(days=WINDOW_DAYS))
    session.execute(
        insert(cast(Table, WorkEntry.__table__)).from_select(
            ["entry_id", "period", "amount", "value_date"],
            select(e.c.id, literal(period), e.c.amount, e.c.value_date),
        ),
        execution_options=WHOLE,
    )


def _clear_work(session: Session, period: str) -> None:
    session.execute(delete(WorkGroup).where(WorkGroup.period == period), execution_options=WHOLE)
    session.execute(delete(WorkEntry).where(WorkEntry.period == period), execution_options=WHOLE)


def _drop_taken(session: Session, period: str) -> None:
    # Explicitly correlated: inside a DELETE, SQLAlchemy would not correlate on its own.
    group_taken = (
        select(literal(1))
        .select_from(SystemGroup)
        .join(
            MatchItem,
            and_(
                MatchItem.period == period,
                MatchItem.item_key == "sys:" + SystemGroup.kind + ":" + SystemGroup.ref,
            ),
        )
        .where(SystemGroup.id == WorkGroup.group_id)
        .correlate(WorkGroup)
    )
    session.execute(
        delete(WorkGroup).where(WorkGroup.period == period, exists(group_taken)),
        execution_options=WHOLE,
    )
    entry_taken = exists().where(MatchItem.bank_entry_id == WorkEntry.entry_id).correlate(WorkEntry)
    session.execute(
        delete(WorkEntry).where(WorkEntry.period == period, entry_taken), execution_options=WHOLE
    )


def _work_sides(period: str) -> tuple[Any, Any, Any, Any]:
    wg, we = aliased(WorkGroup), aliased(WorkEntry)
    g = (
        select(SystemGroup)
        .join(wg, wg.group_id == SystemGroup.id)
        .where(wg.period == period)
        .subquery("g")
    )
    e = (
        select(StatementEntry, we.value_date.label("work_day"))
        .join(we, we.entry_id == StatementEntry.id)
        .where(we.period == period)
        .subquery("e")
    )
    return g, e, wg, we


def _by_amount_and_day(session: Session, period: str, now: datetime) -> None:
    """Rule 2 on what is left: the same amount within the window, the bank account's unit
    being the group's or one above it."""
    g, e, _, _ = _work_sides(period)
    gu, eu = aliased(OrgUnit), aliased(OrgUnit)
    same_unit = exists().where(
        gu.id == g.c.org_unit_id, eu.id == e.c.org_unit_id, gu.path.startswith(eu.path)
    )
    on = and_(
        e.c.amount == g.c.amount,
        e.c.value_date.between(plus_days(g.c.day, -WINDOW_DAYS), plus_days(g.c.day, WINDOW_DAYS)),
        same_unit,
    )
    distance = func.abs(days_between(e.c.value_date, g.c.day))
    chosen = _pairs(period, "amount_date", g, e, now).select_from(g.join(e, on))
    _insert_items(session, chosen.where(literal(True)).order_by(distance, g.c.id, e.c.id))
    _drop_taken(session, period)


def _by_fuzzy_reference(session: Session, period: str, now: datetime) -> None:
    """Rule 3 on what is left: the group's reference anywhere in the entry's references
    (or the entry's inside the group's), within the window."""
    g, e, _, _ = _work_sides(period)
    on = and_(
        e.c.value_date.between(plus_days(g.c.day, -WINDOW_DAYS), plus_days(g.c.day, WINDOW_DAYS)),
        func.length(g.c.ref) >= 6,
        or_(
            e.c.references_json.contains(g.c.ref),
            and_(func.length(e.c.reference) >= 6, g.c.ref.contains(e.c.reference)),
        ),
    )
    distance = func.abs(days_between(e.c.value_date, g.c.day))
    chosen = _pairs(period, "fuzzy_reference", g, e, now).select_from(g.join(e, on))
    _insert_items(session, chosen.where(literal(True)).order_by(distance, g.c.id, e.c.id))
    _drop_taken(session, period)


def _leftovers(session: Session, period: str, first: date, last: date, now: datetime) -> None:
    g, e, _, _ = _work_sides(period)
    missing_at_bank = select(
        literal(period), "sys:" + g.c.kind + ":" + g.c.ref, literal(Colour.RED.value),
        literal("missing_at_bank"), g.c.kind, g.c.ref, g.c.amount, g.c.count, literal(None),
        literal(None), -g.c.amount, g.c.day,
        "missing_at_bank: " + g.c.kind + " " + g.c.ref + " not on any bank statement",
        literal(now), g.c.org_unit_id,
    )  # fmt: skip
    _insert_items(session, missing_at_bank.where(literal(True)))
    missing_in_system = select(
        literal(period), "bank:" + func.cast(e.c.id, MatchItem.item_key.type),
        literal(Colour.RED.value), literal("missing_in_system"), literal(None), literal(None),
        literal(None), literal(0), e.c.id, e.c.amount, e.c.amount, e.c.value_date,
        "missing_in_system: bank " + func.coalesce(e.c.reference, "-") + " not in SafeGrid",
        literal(now), e.c.org_unit_id,
    ).where(e.c.value_date.between(first, last))  # fmt: skip
    _insert_items(session, missing_in_system)
    _clear_work(session, period)
