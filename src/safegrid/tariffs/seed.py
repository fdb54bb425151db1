"""The standard tariffs of a Zhejiang utility, seeded by a service rather than a migration
so the demo, the tests and a fresh installation get the same rows, audited.

Residential: the annual tiered tariff (0.538 yuan/kWh; tier 1 ≤ 2760 kWh a year, tier 2 up
to 4800 at +0.05, tier 3 above at +0.30) with the optional peak/valley prices 0.568/0.288
(08:00–22:00 / 22:00–08:00). General industry & commerce: one flat and one time-of-use
tariff per category; their prices are illustrative of a Zhejiang < 1 kV supply.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.tariffs.models import MeterKind, Tariff, TariffVersion
from safegrid.tariffs.terms import Category, Structure, ThresholdPeriod

D = Decimal
SINCE = date(2012, 7, 1)  # Zhejiang introduced the residential tiers in July 2012


@dataclasses.dataclass(frozen=True)
class StandardTariff:
    code: str
    name: str
    name_en: str
    category: Category
    structure: Structure
    base_price: Decimal
    peak_price: Decimal | None = None
    valley_price: Decimal | None = None


_RESIDENTIAL = StandardTariff(
    "ZJ-RES",
    "浙江居民生活用电（年阶梯）",
    "Zhejiang residential (annual tiers)",
    Category.RESIDENTIAL,
    Structure.TIERED_ANNUAL,
    D("0.538"),
    D("0.568"),
    D("0.288"),
)
_BUSINESS_FLAT, _BUSINESS_PEAK, _BUSINESS_VALLEY = D("0.6664"), D("1.0178"), D("0.3140")

STANDARD_TARIFFS: tuple[StandardTariff, ...] = (
    _RESIDENTIAL,
    StandardTariff(
        "ZJ-COM",
        "一般工商业（商业）单一制",
        "Commercial, flat",
        Category.COMMERCIAL,
        Structure.FLAT,
        _BUSINESS_FLAT,
    ),
    StandardTariff(
        "ZJ-COM-TOU",
        "一般工商业（商业）峰谷分时",
        "Commercial, time-of-use",
        Category.COMMERCIAL,
        Structure.TOU,
        _BUSINESS_FLAT,
        _BUSINESS_PEAK,
        _BUSINESS_VALLEY,
    ),
    StandardTariff(
        "ZJ-IND",
        "一般工商业（工业）单一制",
        "Industrial, flat",
        Category.INDUSTRIAL,
        Structure.FLAT,
        _BUSINESS_FLAT,
    ),
    StandardTariff(
        "ZJ-IND-TOU",
        "一般工商业（工业）峰谷分时",
        "Industrial, time-of-use",
        Category.INDUSTRIAL,
        Structure.TOU,
        _BUSINESS_FLAT,
        _BUSINESS_PEAK,
        _BUSINESS_VALLEY,
    ),
)


def _version(spec: StandardTariff, tariff_id: int, actor: str) -> TariffVersion:
    tiered = spec.structure.tiered
    return TariffVersion(
        tariff_id=tariff_id,
        effective_from=SINCE,
        effective_to=None,
        base_price=spec.base_price,
        peak_price=spec.peak_price,
        valley_price=spec.valley_price,
        tier1_limit=D("2760") if tiered else None,
        tier2_limit=D("4800") if tiered else None,
        tier2_addon=D("0.05") if tiered else D("0"),
        tier3_addon=D("0.30") if tiered else D("0"),
        threshold_period=ThresholdPeriod.ANNUAL if tiered else None,
        tier_year_start_month=1,
        note="浙江省标准电价",
        created_at=clock.now(),
        created_by=actor,
    )


def do_seed_standard_tariffs(uow: UnitOfWork) -> list[str]:
    """Create the standard tariffs that do not exist yet; returns the codes created."""
    with uow:
        session = uow.session
        rows = session.execute(select(Tariff.code, Tariff.category, Tariff.meter_kind)).all()
        codes = {code for code, _, _ in rows}
        # A utility that configured its own tariff for a category keeps it.
        slots = {(category, kind) for _, category, kind in rows}
        created: list[str] = []
        for spec in STANDARD_TARIFFS:
            if spec.code in codes or (spec.category, MeterKind.of(spec.structure)) in slots:
                continue
            tariff = Tariff(
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                category=spec.category,
                structure=spec.structure,
                meter_kind=MeterKind.of(spec.structure),
                created_at=clock.now(),
            )
            session.add(tariff)
            session.flush()
            session.add(_version(spec, tariff.id, uow.actor.username))
            created.append(spec.code)
        if created:
            uow.audit("tariff.seed", object_type="tariff", note=" ".join(created))
            uow.commit()
        return created
