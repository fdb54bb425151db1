"""Queries of tariff configuration. Tariffs are not org-scoped; whether a version was used
asks every bill of the utility, so those two queries skip the caller's scope on purpose."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from safegrid.billing.models import Bill
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import SKIP_SCOPE
from safegrid.tariffs.models import Tariff, TariffVersion


class TariffRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    def all(self) -> list[Tariff]:
        return list(self.session.scalars(select(Tariff).order_by(Tariff.category, Tariff.code)))

    def get(self, tariff_id: int) -> Tariff | None:
        return self.session.scalars(select(Tariff).where(Tariff.id == tariff_id)).first()

    def by_code(self, code: str) -> Tariff | None:
        return self.session.scalars(select(Tariff).where(Tariff.code == code)).first()

    def version(self, version_id: int) -> TariffVersion | None:
        return self.session.scalars(
            select(TariffVersion).where(TariffVersion.id == version_id)
        ).first()

    def effective_on(self, day: date) -> list[tuple[Tariff, TariffVersion]]:
        """Every tariff's version in force on ``day`` (at most one each: no overlaps)."""
        rows = self.session.execute(
            select(Tariff, TariffVersion)
            .join(TariffVersion, TariffVersion.tariff_id == Tariff.id)
            .where(
                TariffVersion.effective_from <= day,
                or_(TariffVersion.effective_to.is_(None), TariffVersion.effective_to >= day),
            )
            .order_by(Tariff.id)
        ).all()
        return [(t, v) for t, v in rows]

    def used_version_ids(self, version_ids: list[int]) -> set[int]:
        if not version_ids:
            return set()
        found = self.session.scalars(
            select(Bill.tariff_version_id)
            .where(Bill.tariff_version_id.in_(version_ids))
            .distinct(),
            execution_options={SKIP_SCOPE: True},  # a bill anywhere in the utility counts
        )
        return {v for v in found if v is not None}

    def used_from(self, version_id: int, period: str) -> bool:
        """Did a bill of ``period`` or later use the version?"""
        return (
            self.session.scalar(
                select(Bill.id)
                .where(Bill.tariff_version_id == version_id, Bill.period >= period)
                .limit(1),
                execution_options={SKIP_SCOPE: True},
            )
            is not None
        )
