"""A bill explained in words, as a customer-service agent would read it out: where the tier
year started, how many kWh fell in each tier, time-of-use before tiers, the one rounding.

Sentences are English msgids with parameters; the template translates them.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from safegrid.billing.models import BillKind, BillStatus
from safegrid.billing.periods import tier_period_start
from safegrid.billing.schemas import BillDetail
from safegrid.tariffs.terms import Structure, ThresholdPeriod
from safegrid.web.i18n import N_


@dataclasses.dataclass(frozen=True)
class Sentence:
    msgid: str
    params: dict[str, object]


def kwh_text(value: Decimal | None) -> str:
    """kWh as read on a bill: no trailing zeros (2760, 120.5)."""
    return "0" if value is None else f"{value.normalize():f}"


def exact_text(value: Decimal) -> str:
    """An exact amount or price: every significant decimal, but at least the fen."""
    whole, _, fraction = f"{value.normalize():f}".partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _tiers(bill: BillDetail) -> tuple[Decimal, Decimal, Decimal]:
    by_tier = {1: Decimal(0), 2: Decimal(0), 3: Decimal(0)}
    for line in bill.lines:
        if line.tier in (2, 3):
            by_tier[line.tier] += abs(line.kwh)
    return abs(bill.kwh) - by_tier[2] - by_tier[3], by_tier[2], by_tier[3]


def explain(bill: BillDetail) -> list[Sentence]:
    out: list[Sentence] = []
    if bill.kind == BillKind.REVERSAL and bill.reverses is not None:
        out.append(
            Sentence(
                N_(
                    "This reversal bill cancels bill %(number)s: every line is the original's, "
                    "negated. Reason: %(reason)s"
                ),
                {"number": bill.reverses.number, "reason": bill.reason or ""},
            )
        )
    if bill.repriced is not None:
        r = bill.repriced
        out.append(
            Sentence(
                N_(
                    "Re-issued after a correction (%(reason)s): this bill prices %(period)s "
                    "again and replaces the bill first issued for it, which a reversal bill "
                    "cancelled. Billed before: %(old)s yuan; now: %(new)s yuan; difference "
                    "%(diff)s yuan. The account's next bill lists the difference."
                ),
                {
                    "reason": r.reason,
                    "period": r.period,
                    "old": f"{r.original_amount:.2f}",
                    "new": f"{r.repriced_amount:.2f}",
                    "diff": f"{r.difference:+.2f}",
                },
            )
        )
    tariff = bill.tariff
    bands = any(line.kind in {"peak", "valley", "shoulder"} for line in bill.lines)
    if tariff is not None and tariff.structure in (
        Structure.TIERED_ANNUAL,
        Structure.TIERED_MONTHLY,
    ):
        if tariff.threshold_period == ThresholdPeriod.MONTHLY:
            out.append(Sentence(N_("Monthly tiers: each month's kWh are tiered on their own."), {}))
        else:
            start = tier_period_start(
                bill.period, ThresholdPeriod.ANNUAL, tariff.tier_year_start_month
            )
            out.append(
                Sentence(
                    N_(
                        "Annual tiers: the tier year began with %(start)s. Before this bill, "
                        "%(prior)s kWh had been billed in it, so this bill's %(kwh)s kWh are "
                        "counted from there."
                    ),
                    {
                        "start": start,
                        "prior": kwh_text(bill.tier_prior_kwh),
                        "kwh": kwh_text(abs(bill.kwh)),
                    },
                )
            )
        t1, t2, t3 = _tiers(bill)
        out.append(
            Sentence(
                N_(
                    "Of these, %(t1)s kWh fall in tier 1 (up to %(l1)s kWh), %(t2)s kWh in "
                    "tier 2 (up to %(l2)s kWh) and %(t3)s kWh in tier 3."
                ),
                {
                    "t1": kwh_text(t1),
                    "t2": kwh_text(t2),
                    "t3": kwh_text(t3),
                    "l1": kwh_text(tariff.tier1_limit),
                    "l2": kwh_text(tariff.tier2_limit),
                },
            )
        )
        if bands:
            out.append(
                Sentence(
                    N_(
                        "Time of use first, then tiers: every kWh is priced at the price of its "
                        "time band, then the tier surcharges apply to the kWh above the tier "
                        "limits, counted on the total kWh."
                    ),
                    {},
                )
            )
    elif bands:
        out.append(Sentence(N_("Every kWh is priced at the price of its time band."), {}))
    else:
        out.append(Sentence(N_("A single price applies to every kWh."), {}))
    out.append(
        Sentence(
            N_(
                "Each line's amount is exact; their sum, %(exact)s yuan, is rounded once to the "
                "fen (half up): %(amount)s yuan."
            ),
            {"exact": exact_text(bill.exact_amount), "amount": f"{bill.amount:.2f}"},
        )
    )
    if bill.adjustments:
        out.extend(_adjustments(bill))
    if bill.status == BillStatus.REVERSED and bill.reversed_by is not None:
        out.append(
            Sentence(
                N_(
                    "This bill was cancelled by reversal bill %(number)s; the next bill run of "
                    "%(period)s bills the account again."
                ),
                {"number": bill.reversed_by.number, "period": bill.period},
            )
        )
    elif bill.kind == BillKind.NORMAL:
        out.append(
            Sentence(
                N_("Please pay %(amount)s yuan by %(due)s."),
                {"amount": f"{bill.amount:.2f}", "due": bill.due_date.isoformat()},
            )
        )
    return out


def adjustment_total(bill: BillDetail) -> Decimal:
    return sum((a.difference for a in bill.adjustments), Decimal("0.00"))


def _adjustments(bill: BillDetail) -> list[Sentence]:
    """退补 (BILL-7): why earlier months changed, and that their difference is already
    booked — the re-issued bills charge it and the reversal bills credit the old amounts."""
    months = sorted({a.period for a in bill.adjustments})
    return [
        Sentence(
            N_(
                "Since the previous bill, a correction (%(reason)s) changed the tier position "
                "of %(months)s: those months were priced again, month by month in the order "
                "of the tier year, and their bills reversed and re-issued. The table below "
                "lists each month: billed, re-priced, difference — %(total)s yuan in all."
            ),
            {
                "reason": "; ".join(sorted({a.reason for a in bill.adjustments})),
                "months": ", ".join(months),
                "total": f"{adjustment_total(bill):+.2f}",
            },
        ),
        Sentence(
            N_(
                "The difference is owed (or credited) through the re-issued and reversal "
                "bills of those months; it is not added to this bill's amount a second time."
            ),
            {},
        ),
    ]
