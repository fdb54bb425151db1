"""Org units and the mixin every scoped table uses (ORG-1, ORG-2)."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from safegrid.platform.db import Base, str_enum


class UnitKind(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    STATION = "station"
    HALL = "hall"


# A unit may only hang under these kinds of parent (ORG-1).
ALLOWED_PARENT: dict[UnitKind, frozenset[UnitKind]] = {
    UnitKind.PROVINCE: frozenset(),
    UnitKind.CITY: frozenset({UnitKind.PROVINCE}),
    UnitKind.COUNTY: frozenset({UnitKind.CITY}),
    UnitKind.STATION: frozenset({UnitKind.COUNTY}),
    UnitKind.HALL: frozenset({UnitKind.COUNTY, UnitKind.CITY}),
}


class OrgUnit(Base):
    """A node of the tree. ``path`` is the materialised chain of ids (``/1/4/9/``) so a
    subtree is one indexed prefix match on every backend."""

    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), unique=True)

    def contains(self, other_path: str) -> bool:
        return other_path.startswith(self.path)


class OrgScoped:
    """Mixin: the row belongs to one org unit and is visible only inside its subtree.

    The scope filter is attached to every ORM query on these tables by
    ``safegrid.security.scope`` — repositories cannot forget it.
    """

    @declared_attr
    def org_unit_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("org_units.id"), index=True)
