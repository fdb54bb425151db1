"""Analytics' answer to the portal's advice port (:mod:`safegrid.portal.tariff_advice`): an
account's newest stored tariff advice, the two options named as a customer reads them."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select

from safegrid.analytics.models import TariffAdvice
from safegrid.platform.uow import UnitOfWork
from safegrid.portal.tariff_advice import PortalAdvice
from safegrid.tariffs.models import MeterKind, Tariff

# An option code is the tariff's code, suffixed when the standard tariff is priced with the
# meter's peak/valley bands (tariff_advice.options).
BANDS: Final = "+tou"
PRICED_BY_BANDS: Final = ("（峰谷分时计价）", " (peak/valley prices)")
NO_BANDS: Final = ("（不分峰谷）", " (one price all day)")


def newest_advice(uow: UnitOfWork, account_id: int) -> PortalAdvice | None:
    advice = uow.session.scalars(
        select(TariffAdvice)
        .where(TariffAdvice.account_id == account_id)
        .order_by(TariffAdvice.period.desc())
        .limit(1)
    ).first()
    if advice is None:
        return None
    codes = {advice.current_code.removesuffix(BANDS), advice.advised_code.removesuffix(BANDS)}
    tariffs = {t.code: t for t in uow.session.scalars(select(Tariff).where(Tariff.code.in_(codes)))}
    return PortalAdvice(
        period=advice.period,
        current_name=_name(advice.current_code, tariffs),
        current_cost=advice.current_cost,
        advised_name=_name(advice.advised_code, tariffs),
        advised_cost=advice.advised_cost,
        saving=advice.saving,
    )


def _name(code: str, tariffs: dict[str, Tariff]) -> str:
    """ "中文 / English" of an option: the tariff's names, and for a standard tariff whether
    it is priced by the peak/valley bands (the same tariff is two options on a TOU meter)."""
    tariff = tariffs.get(code.removesuffix(BANDS))
    if tariff is None:  # codes are never reused or deleted; the stored code still names it
        return code
    zh, en = PRICED_BY_BANDS if code.endswith(BANDS) else NO_BANDS
    if tariff.meter_kind == MeterKind.TOU:
        zh = en = ""  # a time-of-use-only tariff says so in its name
    return f"{tariff.name}{zh} / {tariff.name_en}{en}"
