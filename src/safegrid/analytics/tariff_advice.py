"""ANA-4 advice worth money: what each account's own last twelve months of peak/valley
readings would have cost under every tariff option of its category, and the cheapest when
it beats the current one by at least MIN_SAVING yuan a year.

Options of a category (the tariffs in force): a time-of-use-only tariff (TOU meter); the
standard tariff priced with its peak/valley bands (TOU meter); the standard tariff on a
standard meter (no bands). An account's current option is what the bill run chooses for its
meter (the TOU-only tariff when there is one, else the standard tariff with bands). Each
month is priced by the reference calculation (``tariffs.calculation.calculate``), tiers
counted from the tier year's start. Only meters that read peak and valley every month can
be judged: a standard meter does not report the split.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from safegrid.billing.periods import first_day, of_day, shift
from safegrid.customers.models import Account, Meter, SupplyPoint
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.models import DailyReading
from safegrid.tariffs.calculation import calculate
from safegrid.tariffs.models import MeterKind
from safegrid.tariffs.repository import TariffRepository
from safegrid.tariffs.terms import Structure, Terms

if TYPE_CHECKING:
    import pandas as pd

MONTHS: Final = 12
MIN_SAVING: Final = Decimal("20.00")  # yuan a year: below it a switch is not worth a visit
ZERO: Final = Decimal("0")


@dataclasses.dataclass(frozen=True)
class Option:
    code: str  # the tariff's code, suffixed "+tou" for a standard tariff priced by bands
    name: str
    name_en: str
    terms: Terms
    bands: bool  # priced with the meter's peak/valley kWh
    tier_start_month: int


@dataclasses.dataclass(frozen=True)
class Advice:
    account_id: int
    org_unit_id: int
    current: Option
    best: Option
    current_cost: Decimal
    best_cost: Decimal
    costs: dict[str, Decimal]  # option code → the year's cost under it

    @property
    def saving(self) -> Decimal:
        return self.current_cost - self.best_cost


def options(uow: UnitOfWork, day: date) -> dict[str, list[Option]]:
    """Category → its options in force on ``day``, the current one of a TOU meter first."""
    found: dict[str, list[Option]] = {}
    for tariff, version in TariffRepository(uow).effective_on(day):
        terms = version.terms(tariff.structure)
        start = version.tier_year_start_month
        mine = found.setdefault(tariff.category.value, [])
        if tariff.meter_kind == MeterKind.TOU:
            mine.insert(0, Option(tariff.code, tariff.name, tariff.name_en, terms, True, start))
            continue
        if terms.has_tou_prices and tariff.structure != Structure.FLAT:
            mine.append(
                Option(f"{tariff.code}+tou", tariff.name, tariff.name_en, terms, True, start)
            )
        mine.append(Option(tariff.code, tariff.name, tariff.name_en, terms, False, start))
    return found


def split_months(uow: UnitOfWork, last_period: str) -> pd.DataFrame:
    """``account_id, org_unit_id, category, period, kwh, peak, valley`` of the TOU meters in
    scope, for the MONTHS periods up to ``last_period``; accounts missing a month of split
    readings are left out (their year cannot be priced)."""
    import pandas as pd

    since = first_day(shift(last_period, 1 - MONTHS))
    until = first_day(shift(last_period, 1))
    rows = uow.session.execute(
        select(
            Account.id,
            Account.org_unit_id,
            Account.tariff_category,
            DailyReading.day,
            DailyReading.kwh,
            DailyReading.peak_kwh,
            DailyReading.valley_kwh,
        )
        .join(Meter, Meter.id == DailyReading.meter_id)
        .join(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
        .join(Account, Account.id == SupplyPoint.account_id)
        .where(DailyReading.day >= since, DailyReading.day < until)
        .where(DailyReading.peak_kwh.is_not(None), DailyReading.valley_kwh.is_not(None))
    ).all()
    cols = ["account_id", "org_unit_id", "category", "day", "kwh", "peak", "valley"]
    d = pd.DataFrame(rows, columns=cols)
    if d.empty:
        return d.drop(columns="day").assign(period=pd.Series(dtype=str))
    d["period"] = [of_day(x) for x in d.pop("day")]
    keys = ["account_id", "org_unit_id", "category", "period"]
    m = d.groupby(keys, as_index=False)[["kwh", "peak", "valley"]].sum()
    full = m.groupby("account_id")["period"].transform("count") == MONTHS
    return m[full].sort_values(["account_id", "period"], ignore_index=True)


def yearly_cost(option: Option, months: pd.DataFrame) -> Decimal:
    """The twelve months' bills under ``option`` (tiers counted from the tier year's start)."""
    total, prior = ZERO, ZERO
    for r in months.itertuples():
        if int(str(r.period)[5:7]) == option.tier_start_month:
            prior = ZERO
        kwh = Decimal(r.kwh)
        peak = Decimal(r.peak) if option.bands else None
        valley = Decimal(r.valley) if option.bands else None
        total += calculate(option.terms, kwh, peak, valley, prior).amount
        prior += kwh
    return total


def advise(uow: UnitOfWork, last_period: str) -> list[Advice]:
    """Each judged account's current and cheapest option, with their yearly costs."""
    with uow:
        by_category = options(uow, first_day(shift(last_period, 1)) - timedelta(days=1))
        months = split_months(uow, last_period)
    out = []
    for (account, unit, category), m in months.groupby(["account_id", "org_unit_id", "category"]):
        opts = by_category.get(str(category), [])
        if not opts or not opts[0].bands:
            continue  # no time-of-use option in force: nothing to compare against
        costs = [(yearly_cost(o, m), i) for i, o in enumerate(opts)]
        best_cost, best = min(costs)
        out.append(
            Advice(
                int(account), int(unit), opts[0], opts[best], costs[0][0], best_cost,
                {o.code: c for o, (c, _i) in zip(opts, costs, strict=True)},
            )
        )  # fmt: skip
    return out


def last_full_period(day: date) -> str:
    return of_day(day.replace(day=1) - timedelta(days=1))
