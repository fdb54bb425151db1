"""What a bill run reads, in a handful of set queries (BILL-4): the period's usage per
account, the bills the period already has, each account's kWh billed earlier in its tier
year, and the tariff versions in force.

Every query is an ORM statement run in the unit of work's session, so the caller's org
scope (ORG-2) is applied to ``monthly_usage``, ``accounts`` and ``bills`` by
``safegrid.security.scope`` like anywhere else. kWh come back as exact integer
hundredths computed by the database, so no Decimal object is built per row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, ColumnElement, case, cast, func, select
from sqlalchemy.orm import Session

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.billing.periods import first_day, tier_period_start
from safegrid.billing.run_engine import Ints, Usage, VersionTable
from safegrid.customers.models import Account
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.models import MonthlyUsage
from safegrid.tariffs.models import MeterKind, Tariff, TariffVersion
from safegrid.tariffs.repository import TariffRepository
from safegrid.tariffs.terms import Category, LineKind
from safegrid.tariffs.wording import describe

_CATEGORIES: tuple[Category, ...] = tuple(Category)


def hundredths(column: Any) -> ColumnElement[int]:
    """kWh as an exact integer count of hundredths (ROUND absorbs SQLite's REAL storage)."""
    return cast(func.round(column * 100), BigInteger)


def _sum(expr: Any) -> ColumnElement[int]:
    # PostgreSQL sums BIGINT into NUMERIC; cast back so the driver returns ints.
    return cast(func.sum(expr), BigInteger)


@dataclasses.dataclass(frozen=True)
class PricedVersion:
    tariff: Tariff
    version: TariffVersion
    descriptions: tuple[str, ...]  # per LineKind


@dataclasses.dataclass(frozen=True)
class RunInput:
    """The bills to issue (one entry each) and what prices them."""

    accounts_seen: int
    skipped: int  # accounts that already have an issued bill for the period
    account_id: Ints
    org_unit_id: Ints
    sequence: Ints
    usage: Usage
    versions: list[PricedVersion]
    table: VersionTable

    def __len__(self) -> int:
        return len(self.account_id)

    def subset(self, keep: Any) -> RunInput:
        """Only the bills where ``keep`` (a bool array) is true."""
        u = self.usage
        usage = Usage(
            version=u.version[keep],
            kwh=u.kwh[keep],
            peak=u.peak[keep],
            valley=u.valley[keep],
            metered_tou=u.metered_tou[keep],
            prior=u.prior[keep],
        )
        return dataclasses.replace(
            self,
            account_id=self.account_id[keep],
            org_unit_id=self.org_unit_id[keep],
            sequence=self.sequence[keep],
            usage=usage,
        )


def _columns(session: Session, stmt: Any, width: int) -> Ints:
    """The result as a (columns × rows) integer array, transposed in one pass."""
    rows = session.execute(stmt).all()
    if not rows:
        return np.zeros((width, 0), dtype=np.int64)
    return np.array(list(zip(*rows, strict=True)), dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class AccountUsage:
    """The period's usage summed per account (accounts sorted by id)."""

    account_id: Ints
    org_unit_id: Ints
    category: Ints  # index into Category; -1 for an unknown category
    kwh: Ints
    peak: Ints
    valley: Ints
    metered_tou: Any  # bool array: a meter of the account reads peak/valley


def _usage(session: Session, period: str, accounts: Sequence[int] | None) -> AccountUsage:
    """One row per meter, summed per account here: without GROUP BY / ORDER BY the
    database only scans the period's rows (about three times faster on SQLite)."""
    category = case(
        *[(Account.tariff_category == c.value, i) for i, c in enumerate(_CATEGORIES)], else_=-1
    )
    stmt = (
        select(
            MonthlyUsage.account_id,
            Account.org_unit_id,
            category,
            hundredths(MonthlyUsage.kwh),
            func.coalesce(hundredths(MonthlyUsage.peak_kwh), -1),  # -1: not a TOU meter
            func.coalesce(hundredths(MonthlyUsage.valley_kwh), 0),
        )
        .join(Account, Account.id == MonthlyUsage.account_id)
        .where(MonthlyUsage.period == period)
    )
    if accounts is not None:
        stmt = stmt.where(MonthlyUsage.account_id.in_(accounts))
    account, unit, cat, kwh, peak, valley = _columns(session, stmt, 6)
    order = np.argsort(account, kind="stable")
    account = account[order]
    first = np.flatnonzero(np.r_[True, account[1:] != account[:-1]]) if account.size else order
    tou = peak[order] >= 0

    def total(values: Ints) -> Ints:
        summed: Ints = np.add.reduceat(values, first) if values.size else values
        return summed

    return AccountUsage(
        account_id=account[first],
        org_unit_id=unit[order][first],
        category=cat[order][first],
        kwh=total(kwh[order]),
        peak=total(np.where(tou, peak[order], 0)),
        valley=total(valley[order]),
        metered_tou=total(tou.astype(np.int64)) > 0,
    )


def _lookup(keys: Ints, found: Ints, column: int, default: int) -> Ints:
    """Values of ``found`` (columns × rows, key first) aligned to the sorted ``keys``."""
    out = np.full(len(keys), default, dtype=np.int64)
    if found.shape[1] and len(keys):
        ids, values = found[0], found[column]
        pos = np.searchsorted(keys, ids)
        hit = (pos < len(keys)) & (keys[np.minimum(pos, len(keys) - 1)] == ids)
        out[pos[hit]] = values[hit]
    return out


def _existing(session: Session, period: str, accounts: Sequence[int] | None) -> Ints:
    issued = func.sum(case((Bill.status == BillStatus.ISSUED, 1), else_=0))
    stmt = (
        select(Bill.account_id, func.max(Bill.sequence), cast(issued, BigInteger))
        .where(Bill.period == period, Bill.kind == BillKind.NORMAL)
        .group_by(Bill.account_id)
    )
    if accounts is not None:
        stmt = stmt.where(Bill.account_id.in_(accounts))
    return _columns(session, stmt, 3)


def _prior(session: Session, start: str, period: str, accounts: Sequence[int] | None) -> Ints:
    stmt = (
        select(Bill.account_id, _sum(hundredths(Bill.kwh)))
        .where(
            Bill.kind == BillKind.NORMAL,
            Bill.status == BillStatus.ISSUED,
            Bill.period >= start,
            Bill.period < period,
        )
        .group_by(Bill.account_id)
    )
    if accounts is not None:
        stmt = stmt.where(Bill.account_id.in_(accounts))
    return _columns(session, stmt, 2)


def _priced(uow: UnitOfWork, period: str) -> list[PricedVersion]:
    out = []
    for tariff, version in TariffRepository(uow).effective_on(first_day(period)):
        terms = version.terms(tariff.structure)
        texts = tuple(describe(kind, terms, version.threshold_period) for kind in LineKind)
        out.append(PricedVersion(tariff, version, texts))
    return out


def _resolve(
    session: Session, period: str, priced: list[PricedVersion], category: Ints, tou: Any, ids: Ints
) -> Ints:
    """Each account's version: its category's TOU-only tariff for a TOU meter if there is
    one, else the category's standard tariff."""
    slots = {(p.tariff.category, p.tariff.meter_kind): i for i, p in enumerate(priced)}
    standard = np.array([slots.get((c, MeterKind.STANDARD), -1) for c in _CATEGORIES] + [-1])
    tou_only = np.array([slots.get((c, MeterKind.TOU), -1) for c in _CATEGORIES] + [-1])
    chosen: Ints = np.where(tou & (tou_only[category] >= 0), tou_only[category], standard[category])
    missing = np.flatnonzero(chosen < 0)
    if missing.size:
        numbers = session.scalars(
            select(Account.number).where(Account.id.in_(ids[missing[:5]].tolist()))
        ).all()
        raise ValidationProblem(
            f"{missing.size} 个账户在 {period} 没有适用的电价：{', '.join(numbers)} / "
            f"{missing.size} accounts have no tariff in force for {period} "
            f"(e.g. {', '.join(numbers)}): add a tariff version for their category",
            field="tariff",
        )
    return chosen


def load_run_input(uow: UnitOfWork, period: str, reprice: Sequence[int] | None = None) -> RunInput:
    """The bills a run of ``period`` issues: every account in scope with usage and no
    issued bill yet. With ``reprice`` (account ids), the bills those accounts would get
    if their issued bills of ``period`` were priced again now (退补, BILL-7): the same
    usage, tariff and tier rules, with the tier position of the bills issued before."""
    session = uow.session
    found = _usage(session, period, reprice)
    ids = found.account_id
    existing = _existing(session, period, reprice)
    issued = _lookup(ids, existing, 2, 0)
    last_sequence = _lookup(ids, existing, 1, -1)
    # An account with an issued normal bill is done (idempotent) — unless re-pricing it.
    todo = issued > 0 if reprice is not None else issued == 0
    ids_todo = ids[todo]
    tou = found.metered_tou[todo]
    priced = _priced(uow, period)
    version = _resolve(session, period, priced, found.category[todo], tou, ids_todo)
    prior = np.zeros(len(ids_todo), dtype=np.int64)
    starts: dict[str, list[int]] = {}
    for i, p in enumerate(priced):
        start = tier_period_start(
            period, p.version.threshold_period, p.version.tier_year_start_month
        )
        if start < period:
            starts.setdefault(start, []).append(i)
    for start, version_ids in starts.items():
        sums = _lookup(ids_todo, _prior(session, start, period, reprice), 1, 0)
        uses = np.isin(version, version_ids)
        prior[uses] = sums[uses]
    usage = Usage(
        version=version,
        kwh=found.kwh[todo],
        peak=found.peak[todo],
        valley=found.valley[todo],
        metered_tou=tou,
        prior=prior,
    )
    return RunInput(
        accounts_seen=len(ids),
        skipped=int(np.count_nonzero(~todo)),
        account_id=ids_todo,
        org_unit_id=found.org_unit_id[todo],
        sequence=last_sequence[todo] + 1,
        usage=usage,
        versions=priced,
        table=VersionTable.of([p.version.terms(p.tariff.structure) for p in priced]),
    )
