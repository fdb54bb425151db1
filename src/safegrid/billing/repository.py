"""Queries of bills and bill runs. Bills, runs, accounts and customers are org-scoped: the
session's scope (ORG-2) is applied to every statement here by ``safegrid.security.scope``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update

from safegrid.billing.models import (
    Bill,
    BillAdjustment,
    BillKind,
    BillLine,
    BillRun,
    BillRunProgress,
    BillStatus,
)
from safegrid.customers.models import Account, Customer
from safegrid.org.models import OrgUnit
from safegrid.platform import keyset
from safegrid.platform.keyset import Cursor, Window
from safegrid.platform.paging import PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.models import ReadingPeriod


class BillRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    def bill(self, bill_id: int, *, for_update: bool = False) -> Bill | None:
        stmt = select(Bill).where(Bill.id == bill_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def lines(self, bill_id: int) -> list[BillLine]:
        return list(
            self.session.scalars(
                select(BillLine).where(BillLine.bill_id == bill_id).order_by(BillLine.line_no)
            )
        )

    def reversal_of(self, bill_id: int) -> Bill | None:
        return self.session.scalars(select(Bill).where(Bill.reverses_bill_id == bill_id)).first()

    def account(self, account_id: int) -> tuple[Account, Customer] | None:
        row = self.session.execute(
            select(Account, Customer)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id == account_id)
        ).first()
        return None if row is None else (row[0], row[1])

    def unit_name(self, unit_id: int) -> tuple[str, str] | None:
        row = self.session.execute(
            select(OrgUnit.name, OrgUnit.name_en).where(OrgUnit.id == unit_id)
        ).first()
        return None if row is None else (row[0], row[1])

    def root_unit_id(self) -> int | None:
        return self.session.scalar(
            select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1)
        )

    def _bill_rows(self) -> Select[Bill, str, str]:
        return (
            select(Bill, Account.number, Customer.name)
            .join(Account, Account.id == Bill.account_id)
            .join(Customer, Customer.id == Account.customer_id)
        )

    @staticmethod
    def _bill_filter(
        account_id: int | None, period: str | None, run_id: int | None
    ) -> list[ColumnElement[bool]]:
        where = []
        if account_id is not None:
            where.append(Bill.account_id == account_id)
        if period is not None:
            where.append(Bill.period == period)
        if run_id is not None:
            where.append(Bill.run_id == run_id)
        return where

    def bills(
        self,
        paging: PageQuery,
        *,
        account_id: int | None = None,
        period: str | None = None,
        run_id: int | None = None,
    ) -> tuple[list[tuple[Bill, str, str]], int]:
        stmt = self._bill_rows().where(*self._bill_filter(account_id, period, run_id))
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.execute(
            stmt.order_by(Bill.period.desc(), Bill.id.desc())
            .offset(paging.offset)
            .limit(paging.size)
        ).all()
        return [(b, number, name) for b, number, name in rows], total

    def bill_window(
        self,
        cursor: Cursor,
        *,
        account_id: int | None = None,
        period: str | None = None,
        run_id: int | None = None,
    ) -> Window[tuple[Bill, str, str]]:
        """The console's bill list: newest period first, by keyset."""

        def load(ids: list[int]) -> list[tuple[Bill, str, str]]:
            rows = self.session.execute(self._bill_rows().where(Bill.id.in_(ids))).all()
            return [(b, number, name) for b, number, name in rows]

        return keyset.window(
            self.session,
            select(Bill).where(*self._bill_filter(account_id, period, run_id)),
            (Bill.period, Bill.id),
            cursor,
            load,
            lambda row: row[0].id,
        )

    def run(self, run_id: int) -> BillRun | None:
        return self.session.scalars(select(BillRun).where(BillRun.id == run_id)).first()

    def runs(self, paging: PageQuery, period: str | None = None) -> tuple[list[BillRun], int]:
        stmt = select(BillRun)
        if period is not None:
            stmt = stmt.where(BillRun.period == period)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        items = self.session.scalars(
            stmt.order_by(BillRun.id.desc()).offset(paging.offset).limit(paging.size)
        ).all()
        return list(items), total

    def latest_progress(
        self, username: str, *, running_since: datetime | None = None
    ) -> BillRunProgress | None:
        """The staff account's latest console run; with ``running_since``, only one still
        running and moved since then (locked: one start at a time)."""
        stmt = select(BillRunProgress).where(BillRunProgress.started_by == username)
        if running_since is not None:
            stmt = stmt.where(
                BillRunProgress.finished_at.is_(None), BillRunProgress.updated_at > running_since
            ).with_for_update()
        return self.session.scalars(stmt.order_by(BillRunProgress.id.desc()).limit(1)).first()

    def reading_period(self, period: str, *, for_update: bool = False) -> ReadingPeriod | None:
        stmt = select(ReadingPeriod).where(ReadingPeriod.period == period)
        if for_update:
            # Serialises runs of one period (PostgreSQL); SQLite's writer already holds
            # the database's write lock.
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def period_totals(self, periods: list[str]) -> dict[str, tuple[int, Any]]:
        """Bills and their amount per period, in the caller's scope (issued normal bills)."""
        if not periods:
            return {}
        rows = self.session.execute(
            select(Bill.period, func.count(), func.sum(Bill.amount))
            .where(Bill.period.in_(periods), Bill.kind == "normal", Bill.status == "issued")
            .group_by(Bill.period)
        ).all()
        return {p: (int(n), total) for p, n, total in rows}

    # 退补 (BILL-7): the bills a correction re-prices and what it recorded.

    def account_ids(self, numbers: Sequence[str]) -> dict[str, int]:
        rows = self.session.execute(
            select(Account.number, Account.id).where(Account.number.in_(list(numbers)))
        ).all()
        return {number: account_id for number, account_id in rows}

    def lock_periods_from(self, period: str) -> None:
        """Lock the reading periods from ``period`` on, in order: a correction waits for
        (and holds off) bill runs of those months and other corrections that overlap it,
        so each prices on the other's committed bills (PostgreSQL; SQLite's writer already
        holds the database's write lock)."""
        self.session.execute(
            select(ReadingPeriod.period)
            .where(ReadingPeriod.period >= period)
            .order_by(ReadingPeriod.period)
            .with_for_update()
        ).all()

    def issued(
        self, account_ids: Sequence[int], *, period: str | None = None, since: str | None = None
    ) -> list[Bill]:
        """The accounts' issued normal bills of ``period`` (or from ``since`` on), locked."""
        stmt = select(Bill).where(
            Bill.account_id.in_(list(account_ids)),
            Bill.kind == BillKind.NORMAL,
            Bill.status == BillStatus.ISSUED,
        )
        if period is not None:
            stmt = stmt.where(Bill.period == period)
        if since is not None:
            stmt = stmt.where(Bill.period >= since)
        return list(self.session.scalars(stmt.order_by(Bill.id).with_for_update()))

    def lines_of(self, bill_ids: Sequence[int]) -> dict[int, list[BillLine]]:
        out: dict[int, list[BillLine]] = {i: [] for i in bill_ids}
        for line in self.session.scalars(
            select(BillLine)
            .where(BillLine.bill_id.in_(list(bill_ids)))
            .order_by(BillLine.bill_id, BillLine.line_no)
        ):
            out[line.bill_id].append(line)
        return out

    def adjustments(
        self, *, next_bill_id: int | None = None, new_bill_id: int | None = None
    ) -> list[BillAdjustment]:
        stmt = select(BillAdjustment)
        if next_bill_id is not None:
            stmt = stmt.where(BillAdjustment.next_bill_id == next_bill_id)
        if new_bill_id is not None:
            stmt = stmt.where(BillAdjustment.new_bill_id == new_bill_id)
        return list(self.session.scalars(stmt.order_by(BillAdjustment.period, BillAdjustment.id)))

    def pending_adjustments(self, account_id: int) -> list[BillAdjustment]:
        """Re-priced months not yet shown on a later bill of the account."""
        return list(
            self.session.scalars(
                select(BillAdjustment)
                .where(
                    BillAdjustment.account_id == account_id,
                    BillAdjustment.next_bill_id.is_(None),
                )
                .order_by(BillAdjustment.period, BillAdjustment.id)
            )
        )

    def link_next_bill(self, run_id: int, period: str) -> None:
        """Re-priced months not yet shown on a later bill go on the bill this run issued
        the account for ``period``: its next bill."""
        issued_now = select(Bill.id).where(
            Bill.account_id == BillAdjustment.account_id,
            Bill.period == period,
            Bill.kind == BillKind.NORMAL,
            Bill.run_id == run_id,
        )
        self.session.execute(
            update(BillAdjustment)
            .where(
                BillAdjustment.next_bill_id.is_(None),
                BillAdjustment.period < period,
                issued_now.exists(),
            )
            .values(next_bill_id=issued_now.scalar_subquery()),
            execution_options={"synchronize_session": False},
        )
