"""退补 (BILL-7): re-pricing after a correction.

Residential tiers in Zhejiang are annual: a corrected reading in month M moves the tier
position of every later month of the tier year. :func:`do_reprice_bills` prices the
accounts' billed months from M on again, in order, with the bill run's own loader and
engine (so each month counts the re-priced months before it); where a month's charge
changes, its bill is reversed and a new one issued through the bill run's writer, and an
adjustment row records month, original, re-priced and difference. The account's next bill
run links those rows to the new bill, which shows them line by line.

One path for any number of accounts; a single account is a set of one. A month whose
re-pricing gives the same charge (kWh, tariff version, lines, amount) is left alone, so
running the same correction twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from safegrid.billing.bulk_store import BulkWriter
from safegrid.billing.events import BillsRepriced
from safegrid.billing.models import Bill, BillAdjustment, BillLine
from safegrid.billing.periods import parse_period
from safegrid.billing.repository import BillRepository
from safegrid.billing.reversals import check_reason, reverse_bills
from safegrid.billing.run_engine import (
    KWH_SCALE,
    PRICE_SCALE,
    Computed,
    UsageProblem,
    compute,
    line_kind,
)
from safegrid.billing.run_loader import RunInput, load_run_input
from safegrid.billing.run_writer import Issue, write_run
from safegrid.billing.schemas import DEFAULT_DUE_DAYS, AdjustmentOut, RepriceOut
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork


def _units(value: Decimal, scale: int) -> int:
    return int((Decimal(value) * scale).to_integral_value(ROUND_HALF_UP))


def _priced(data: RunInput, computed: Computed, i: int) -> tuple[object, ...]:
    """Bill ``i`` of a computed input, in the terms an issued bill is compared in."""
    lines = computed.lines
    a, b = np.searchsorted(lines.bill, [i, i + 1])
    return (
        data.versions[int(data.usage.version[i])].version.id,
        int(data.usage.kwh[i]),
        int(computed.fen[i]),
        tuple(
            (line_kind(int(k)).value, int(kwh), int(price))
            for k, kwh, price in zip(lines.kind[a:b], lines.kwh[a:b], lines.price[a:b], strict=True)
        ),
    )


def _issued(bill: Bill, lines: list[BillLine]) -> tuple[object, ...]:
    return (
        bill.tariff_version_id,
        _units(bill.kwh, KWH_SCALE),
        _units(bill.amount, 100),
        tuple(
            (line.kind, _units(line.kwh, KWH_SCALE), _units(line.price, PRICE_SCALE))
            for line in lines
        ),
    )


def _load(uow: UnitOfWork, period: str, accounts: list[int]) -> tuple[RunInput, Computed]:
    data = load_run_input(uow, period, reprice=accounts)
    unpriced = sorted(set(accounts) - set(data.account_id.tolist()))
    if unpriced:
        raise ValidationProblem(
            f"账户 {unpriced[:5]} 在 {period} 没有电量记录，无法重新计费 / accounts "
            f"{unpriced[:5]} have no usage recorded for {period}: nothing to re-price from",
            field="from_period",
        )
    try:
        return data, compute(data.usage, data.table)
    except UsageProblem as problem:
        raise ValidationProblem(
            f"账户 {data.account_id[problem.rows[:5]].tolist()} 的电量无法计费 / usage of "
            f"accounts {data.account_id[problem.rows[:5]].tolist()} cannot be billed: {problem}",
            field="kwh",
        ) from None


def _reprice_period(
    uow: UnitOfWork,
    repo: BillRepository,
    period: str,
    accounts: list[int],
    reason: str,
    now: datetime,
) -> list[BillAdjustment]:
    uow.session.flush()  # the load reads the months re-billed before this one
    data, computed = _load(uow, period, accounts)
    originals = {b.account_id: b for b in repo.issued(accounts, period=period)}
    lines = repo.lines_of([b.id for b in originals.values()])
    changed = np.array(
        [
            _priced(data, computed, i) != _issued(bill, lines[bill.id])
            for i, bill in enumerate(originals[int(a)] for a in data.account_id.tolist())
        ],
        dtype=bool,
    )
    if not changed.any():
        return []
    data = data.subset(changed)
    computed = compute(data.usage, data.table)
    before = [originals[int(a)] for a in data.account_id.tolist()]
    reversals = reverse_bills(uow, before, reason, now)
    uow.session.flush()
    issue = Issue(None, period, now, clock.business_day(now) + timedelta(days=DEFAULT_DUE_DAYS))
    writer = BulkWriter(uow.session.connection())
    try:
        write_run(writer, issue, data, computed, lambda _n: None)
    finally:
        writer.close()
    new = {b.account_id: b for b in repo.issued(data.account_id.tolist(), period=period)}
    adjustments = []
    for original, reversal in zip(before, reversals, strict=True):
        bill = new[original.account_id]
        adjustments.append(
            BillAdjustment(
                account_id=original.account_id,
                period=period,
                original_bill_id=original.id,
                reversal_bill_id=reversal.id,
                new_bill_id=bill.id,
                original_kwh=original.kwh,
                repriced_kwh=bill.kwh,
                original_amount=original.amount,
                repriced_amount=bill.amount,
                difference=bill.amount - original.amount,
                reason=reason,
                created_at=now,
                created_by=uow.actor.username,
                org_unit_id=original.org_unit_id,
            )
        )
    uow.session.add_all(adjustments)
    uow.session.flush()
    return adjustments


def do_reprice_bills(
    uow: UnitOfWork, accounts: Sequence[str], from_period: str, reason: str
) -> RepriceOut:
    """Re-price the billed months of ``accounts`` (account numbers) from ``from_period`` on
    after a correction: reverse and re-bill each month whose charge changes, all in one
    transaction, audited per account. Refused unless every account's ``from_period`` is
    billed (there is nothing to re-price before the first bill run of a month)."""
    with uow:
        out = reprice_within(uow, accounts, from_period, reason)
        if out.adjustments:
            uow.commit()
        return out


def reprice_within(
    uow: UnitOfWork, accounts: Sequence[str], from_period: str, reason: str
) -> RepriceOut:
    """:func:`do_reprice_bills` inside the caller's unit of work, which commits: an
    approved usage correction re-prices in the transaction that applies it."""
    from_period = parse_period(from_period, field="from_period")
    reason = check_reason(reason)
    numbers = sorted({a.strip() for a in accounts if a.strip()})
    if not numbers:
        raise ValidationProblem("请指定户号 / name at least one account", field="accounts")
    now = clock.now()
    repo = BillRepository(uow)
    ids = repo.account_ids(numbers)
    if missing := [n for n in numbers if n not in ids]:
        raise NotFoundError(f"户号不存在 / account not found: {', '.join(missing[:5])}")
    repo.lock_periods_from(from_period)
    billed = repo.issued(sorted(ids.values()), since=from_period)
    first = {b.account_id for b in billed if b.period == from_period}
    if unbilled := [n for n in numbers if ids[n] not in first]:
        raise ValidationProblem(
            f"{from_period} 尚未出账，无需退补：户号 {', '.join(unbilled[:5])} / "
            f"{from_period} is not billed yet for account(s) {', '.join(unbilled[:5])}: "
            f"only billed months can be re-priced",
            field="from_period",
        )
    adjustments: list[BillAdjustment] = []
    for period in sorted({b.period for b in billed}):
        month = sorted({b.account_id for b in billed if b.period == period})
        adjustments += _reprice_period(uow, repo, period, month, reason, now)
    for account_id in sorted({a.account_id for a in adjustments}):
        mine = [a for a in adjustments if a.account_id == account_id]
        difference = sum((a.difference for a in mine), Decimal("0.00"))
        uow.audit(
            "billing.reprice",
            object_type="account",
            object_id=account_id,
            org_unit_id=mine[0].org_unit_id,
            after={
                "from_period": from_period,
                "months": {a.period: str(a.difference) for a in mine},
                "difference": str(difference),
                "reversed_bill_ids": [a.original_bill_id for a in mine],
                "new_bill_ids": [a.new_bill_id for a in mine],
            },
            note=reason,
        )
        uow.emit(
            BillsRepriced(
                account_id=account_id,
                org_unit_id=mine[0].org_unit_id,
                from_period=from_period,
                months=len(mine),
                difference=difference,
            )
        )
    out = RepriceOut(
        from_period=from_period,
        accounts=len(numbers),
        months_checked=len(billed),
        adjustments=[AdjustmentOut.model_validate(a) for a in adjustments],
        difference=sum((a.difference for a in adjustments), Decimal("0.00")),
    )
    return out
