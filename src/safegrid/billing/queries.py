"""Reading bills and runs: the bill explanation (BILL-4: every line states its tier, kWh,
price and amount), bill lists per account / period / run, and the runs themselves."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from safegrid.billing.models import Bill, BillKind
from safegrid.billing.periods import parse_period
from safegrid.billing.repository import BillRepository
from safegrid.billing.schemas import (
    AdjustmentOut,
    BillDetail,
    BillLineOut,
    BillOut,
    BillRef,
    BillRunOut,
    TariffRef,
)
from safegrid.billing.services import BILL_NOT_FOUND, RUN_NOT_FOUND
from safegrid.platform.errors import NotFoundError
from safegrid.platform.keyset import Cursor, Window
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import services as reading_services
from safegrid.tariffs.repository import TariffRepository
from safegrid.tariffs.terms import TIER_OF


def _out(bill: Bill, account_number: str, customer_name: str) -> BillOut:
    return BillOut(
        id=bill.id,
        number=bill.number,
        account_id=bill.account_id,
        account_number=account_number,
        customer_name=customer_name,
        period=bill.period,
        kind=bill.kind,
        sequence=bill.sequence,
        status=bill.status,
        kwh=bill.kwh,
        amount=bill.amount,
        issued_at=bill.issued_at,
        due_date=bill.due_date,
        org_unit_id=bill.org_unit_id,
    )


_TIER_BY_VALUE = {kind.value: tier for kind, tier in TIER_OF.items()}


def _tier(kind: str) -> int | None:
    return _TIER_BY_VALUE.get(kind)


def get_bill(uow: UnitOfWork, bill_id: int) -> BillDetail:
    with uow:
        repo = BillRepository(uow)
        bill = repo.bill(bill_id)
        found = repo.account(bill.account_id) if bill is not None else None
        if bill is None or found is None:
            raise NotFoundError(BILL_NOT_FOUND)
        account, customer = found
        lines = repo.lines(bill.id)
        unit = repo.unit_name(bill.org_unit_id) or ("", "")
        tariff = None
        if bill.tariff_version_id is not None:
            version = TariffRepository(uow).version(bill.tariff_version_id)
            if version is not None:
                t = version.tariff
                tariff = TariffRef(
                    code=t.code,
                    name=t.name,
                    name_en=t.name_en,
                    structure=t.structure,
                    version_id=version.id,
                    effective_from=version.effective_from,
                    threshold_period=version.threshold_period,
                    tier1_limit=version.tier1_limit,
                    tier2_limit=version.tier2_limit,
                    tier_year_start_month=version.tier_year_start_month,
                )
        original = repo.bill(bill.reverses_bill_id) if bill.reverses_bill_id else None
        reversal = repo.reversal_of(bill.id) if bill.kind == BillKind.NORMAL else None
        repriced = repo.adjustments(new_bill_id=bill.id)
        return BillDetail(
            **_out(bill, account.number, customer.name).model_dump(),
            customer_id=customer.id,
            org_unit_name=unit[0],
            org_unit_name_en=unit[1],
            exact_amount=sum((line.amount for line in lines), Decimal(0)),
            tier_prior_kwh=bill.tier_prior_kwh,
            tariff=tariff,
            run_id=bill.run_id,
            reverses=BillRef(id=original.id, number=original.number) if original else None,
            reversed_by=BillRef(id=reversal.id, number=reversal.number) if reversal else None,
            reason=bill.reason,
            lines=[
                BillLineOut(
                    line_no=line.line_no,
                    kind=line.kind,
                    tier=_tier(line.kind),
                    description=line.description,
                    kwh=line.kwh,
                    price=line.price,
                    amount=line.amount,
                )
                for line in lines
            ],
            adjustments=[
                AdjustmentOut.model_validate(a) for a in repo.adjustments(next_bill_id=bill.id)
            ],
            repriced=AdjustmentOut.model_validate(repriced[0]) if repriced else None,
        )


def list_bills(
    uow: UnitOfWork,
    paging: PageQuery,
    *,
    account_id: int | None = None,
    period: str | None = None,
    run_id: int | None = None,
) -> Page[BillOut]:
    if period is not None:
        period = parse_period(period)
    with uow:
        rows, total = BillRepository(uow).bills(
            paging, account_id=account_id, period=period, run_id=run_id
        )
        items = [_out(b, number, name) for b, number, name in rows]
    return Page[BillOut](items=items, total=total, page=paging.page, size=paging.size)


def bill_window(
    uow: UnitOfWork,
    cursor: Cursor,
    *,
    account_id: int | None = None,
    period: str | None = None,
    run_id: int | None = None,
) -> Window[BillOut]:
    """The console's bill list, by keyset: no count of every bill in a province's scope."""
    if period is not None:
        period = parse_period(period)
    with uow:
        rows = BillRepository(uow).bill_window(
            cursor, account_id=account_id, period=period, run_id=run_id
        )
        return rows.map(lambda row: _out(*row))


def get_run(uow: UnitOfWork, run_id: int) -> BillRunOut:
    with uow:
        run = BillRepository(uow).run(run_id)
        if run is None:
            raise NotFoundError(RUN_NOT_FOUND)
        return BillRunOut.model_validate(run)


def list_runs(uow: UnitOfWork, paging: PageQuery, period: str | None = None) -> Page[BillRunOut]:
    if period is not None:
        period = parse_period(period)
    with uow:
        items, total = BillRepository(uow).runs(paging, period)
        return Page[BillRunOut](
            items=[BillRunOut.model_validate(r) for r in items],
            total=total,
            page=paging.page,
            size=paging.size,
        )


@dataclasses.dataclass(frozen=True)
class PeriodSummary:
    period: str
    status: str  # the readings side's: open | closed | closed_here (for the caller's unit)
    usage_rows: int
    bills: int
    amount: Decimal

    @property
    def closed(self) -> bool:
        return self.status in {"closed", "closed_here"}


def period_overview(uow: UnitOfWork) -> list[PeriodSummary]:
    """The recent reading periods as the caller sees them (closed utility-wide or for his
    unit), with the issued bills of each in his scope."""
    periods = reading_services.list_periods(uow)
    with uow:
        totals = BillRepository(uow).period_totals([p.period for p in periods])
    out = []
    for p in periods:
        bills, amount = totals.get(p.period, (0, None))
        out.append(
            PeriodSummary(p.period, p.status, p.usage_rows, bills, amount or Decimal("0.00"))
        )
    return out
