"""Billing's answer to tariffs' question "did this version price a bill?"
(:class:`safegrid.tariffs.usage.VersionUse`): a version used by a bill is immutable (BILL-3).
A bill anywhere in the utility counts, so both queries see every org unit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegrid.billing.models import Bill
from safegrid.security.scope import unscoped


class BillsUseVersions:
    def used_version_ids(self, session: Session, version_ids: list[int]) -> set[int]:
        if not version_ids:
            return set()
        found = session.scalars(
            select(Bill.tariff_version_id)
            .where(Bill.tariff_version_id.in_(version_ids))
            .distinct(),
            execution_options=unscoped("a bill anywhere in the utility counts"),
        )
        return {v for v in found if v is not None}

    def used_from(self, session: Session, version_id: int, period: str) -> bool:
        return (
            session.scalar(
                select(Bill.id)
                .where(Bill.tariff_version_id == version_id, Bill.period >= period)
                .limit(1),
                execution_options=unscoped("a bill anywhere in the utility counts"),
            )
            is not None
        )
