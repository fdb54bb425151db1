"""Queries of tariff configuration. Tariffs are not org-scoped; whether a version was used
is asked of billing through :mod:`safegrid.tariffs.usage`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from safegrid.platform.uow import UnitOfWork
from safegrid.tariffs.models import Tariff, TariffVersion
from safegrid.tariffs.usage import version_use


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
        return version_use().used_version_ids(self.session, version_ids)

    def used_from(self, version_id: int, period: str) -> bool:
        """Did a bill of ``period`` or later use the version?"""
        return version_use().used_from(self.session, version_id, period)
