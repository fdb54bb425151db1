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
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import cases, periods, system_side
from safegrid.reconciliation.events import MatchRunFinished
from safegrid.reconciliation.models import (
    Colour,
    MatchItem,
    ReconCase,
    StatementEntry,
    SystemGroup,
)
from safegrid.reconciliation.sql_days import days_between
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
        for rule in ("reference", "amount_date", "fuzzy_reference"):
            _match(session, period, rule, first, last, now)
        _leftovers(session, period, first, last, now)
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
    taken = exists().where(
        MatchItem.period == period,
        MatchItem.system_kind == SystemGroup.kind,
        MatchItem.system_ref == SystemGroup.ref,
    )
    return select(SystemGroup).where(SystemGroup.period == period, ~taken).subquery("g")


def _free_entries(first: Any, last: Any) -> Any:
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


def _match(session: Session, period: str, rule: str, first: Any, last: Any, now: Any) -> None:
    from datetime import timedelta

    g = _free_groups(period)
    # Deposits of the month's last days reach the bank early next month.
    e = _free_entries(first - timedelta(days=WINDOW_DAYS), last + timedelta(days=WINDOW_DAYS))
    distance = func.abs(days_between(e.c.value_date, g.c.day))
    if rule == "reference":
        on = e.c.reference == g.c.ref
    elif rule == "amount_date":
        gu, eu = aliased(OrgUnit), aliased(OrgUnit)
        same_unit = exists().where(
            gu.id == g.c.org_unit_id, eu.id == e.c.org_unit_id, gu.path.startswith(eu.path)
        )
        on = and_(
            func.round((e.c.amount - g.c.amount) * 100) == 0, distance <= WINDOW_DAYS, same_unit
        )
    else:
        on = and_(
            func.length(g.c.ref) >= 6,
            or_(
                e.c.references_json.contains(g.c.ref),
                and_(func.length(e.c.reference) >= 6, g.c.ref.contains(e.c.reference)),
            ),
            distance <= WINDOW_DAYS,
        )
    pairs = (
        select(
            g.c.id.label("g_id"),
            e.c.id.label("e_id"),
            func.row_number().over(partition_by=g.c.id, order_by=(distance, e.c.id)).label("rn_g"),
            func.row_number().over(partition_by=e.c.id, order_by=(distance, g.c.id)).label("rn_e"),
        )
        .select_from(g.join(e, on))
        .subquery("p")
    )
    grp, ent = aliased(SystemGroup), aliased(StatementEntry)
    diff = ent.amount - grp.amount
    reason = f"{rule}: " + grp.kind + " " + grp.ref + " ↔ bank " + func.coalesce(ent.reference, "-")
    chosen = (
        select(
            literal(period),
            "sys:" + grp.kind + ":" + grp.ref,
            _colour(diff, grp.amount),
            literal(rule),
            grp.kind,
            grp.ref,
            grp.amount,
            grp.count,
            ent.id,
            ent.amount,
            diff,
            grp.day,
            reason,
            literal(now),
            grp.org_unit_id,
        )
        .select_from(pairs)
        .join(grp, grp.id == pairs.c.g_id)
        .join(ent, ent.id == pairs.c.e_id)
        .where(pairs.c.rn_g == 1, pairs.c.rn_e == 1)
    )
    session.execute(
        insert(cast(Table, MatchItem.__table__)).from_select(ITEM_COLUMNS, chosen),
        execution_options=WHOLE,
    )


def _leftovers(session: Session, period: str, first: Any, last: Any, now: Any) -> None:
    g = _free_groups(period)
    missing_at_bank = select(
        literal(period), "sys:" + g.c.kind + ":" + g.c.ref, literal(Colour.RED.value),
        literal("missing_at_bank"), g.c.kind, g.c.ref, g.c.amount, g.c.count, literal(None),
        literal(None), -g.c.amount, g.c.day,
        "missing_at_bank: " + g.c.kind + " " + g.c.ref + " not on any bank statement",
        literal(now), g.c.org_unit_id,
    )  # fmt: skip
    session.execute(
        insert(cast(Table, MatchItem.__table__)).from_select(ITEM_COLUMNS, missing_at_bank),
        execution_options=WHOLE,
    )
    e = _free_entries(first, last)
    missing_in_system = select(
        literal(period), "bank:" + func.cast(e.c.id, MatchItem.item_key.type),
        literal(Colour.RED.value), literal("missing_in_system"), literal(None), literal(None),
        literal(None), literal(0), e.c.id, e.c.amount, e.c.amount, e.c.value_date,
        "missing_in_system: bank " + func.coalesce(e.c.reference, "-") + " not in SafeGrid",
        literal(now), e.c.org_unit_id,
    )  # fmt: skip
    session.execute(
        insert(cast(Table, MatchItem.__table__)).from_select(ITEM_COLUMNS, missing_in_system),
        execution_options=WHOLE,
    )
