"""Whether tariff versions priced bills: the port tariffs asks through.

Billing builds on tariffs (a bill is priced by a version), so tariffs cannot query bills
itself. Billing's answer (:mod:`safegrid.billing.tariff_use`) is registered here by the
composition root (:mod:`safegrid.bootstrap`). Without one, a question is refused rather
than answered "unused", since that answer would let a version that priced bills change.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session


class VersionUse(Protocol):
    def used_version_ids(self, session: Session, version_ids: list[int]) -> set[int]:
        """The versions among ``version_ids`` that priced at least one bill."""
        ...

    def used_from(self, session: Session, version_id: int, period: str) -> bool:
        """Did the version price a bill of ``period`` (YYYY-MM) or later?"""
        ...


_use: VersionUse | None = None


def register(use: VersionUse) -> None:
    global _use
    _use = use


def version_use() -> VersionUse:
    if _use is None:
        raise RuntimeError(
            "no VersionUse registered: build the platform through safegrid.bootstrap"
        )
    return _use
