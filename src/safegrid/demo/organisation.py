"""The demo's org tree, its staff and the reading areas (ORG-1, IAM-1).

Fifteen units (province, 2 cities, 4 counties, a station and a hall in each county)
and one account of every post in every unit, so any role can be tried anywhere in the
tree. All accounts share one published password and are already TOTP-enrolled: the
demo is for looking around, and the forced first-login change (IAM-2) would only get
in the way; ``safegrid demo otp`` gives the second factor.
"""

from __future__ import annotations

import dataclasses
import random
import string
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from safegrid.customers.models import ReadingArea
from safegrid.demo import people
from safegrid.demo.geography import (
    ZHEJIANG,
    County,
    hall_code,
    station_code,
)
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Post

# Published in the README and printed by ``safegrid demo logins``; dev databases only.
DEMO_PASSWORD = "SafeGrid@2026"  # noqa: S105 - the demo's shared, public password

_BASE32 = string.ascii_uppercase + "234567"


def username(post: Post, unit_code: str) -> str:
    return f"{post.value}.{unit_code}"


@dataclasses.dataclass(frozen=True)
class OrgTree:
    """Ids of the units just created, looked up by code."""

    unit_ids: dict[str, int]

    @property
    def province_id(self) -> int:
        return self.unit_ids[ZHEJIANG.code]

    def station_id(self, county: County) -> int:
        return self.unit_ids[station_code(county)]

    def hall_id(self, county: County) -> int:
        return self.unit_ids[hall_code(county)]


def _add_unit(
    session: Session, code: str, name: str, name_en: str, kind: UnitKind, parent: OrgUnit | None
) -> OrgUnit:
    # ``path`` is unique and needs the new id: insert under a placeholder, flush for the
    # id, then write the real chain of ids.
    unit = OrgUnit(
        code=code,
        name=name,
        name_en=name_en,
        kind=kind,
        parent_id=None if parent is None else parent.id,
        path=f"/pending:{code}/",
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def create_org_tree(session: Session) -> OrgTree:
    units: list[OrgUnit] = []
    province = _add_unit(
        session, ZHEJIANG.code, ZHEJIANG.name, ZHEJIANG.name_en, UnitKind.PROVINCE, None
    )
    units.append(province)
    for city in ZHEJIANG.cities:
        city_unit = _add_unit(session, city.code, city.name, city.name_en, UnitKind.CITY, province)
        units.append(city_unit)
        for county in city.counties:
            county_unit = _add_unit(
                session, county.code, county.name, county.name_en, UnitKind.COUNTY, city_unit
            )
            station = _add_unit(
                session,
                station_code(county),
                f"{county.short}供电所",
                f"{county.name_en} Supply Station",
                UnitKind.STATION,
                county_unit,
            )
            hall = _add_unit(
                session,
                hall_code(county),
                f"{county.short}营业厅",
                f"{county.name_en} Business Hall",
                UnitKind.HALL,
                county_unit,
            )
            units += [county_unit, station, hall]
    session.flush()
    return OrgTree({u.code: u.id for u in units})


def totp_secret(rng: random.Random) -> str:
    """32 base32 characters (160 bits), as ``pyotp.random_base32`` makes, but seeded."""
    return "".join(rng.choice(_BASE32) for _ in range(32))


def create_staff(
    session: Session, tree: OrgTree, rng: random.Random, password_hash: str, now: datetime
) -> dict[str, int]:
    """One account of every post in every unit; returns account ids by username."""
    accounts: list[StaffAccount] = []
    for code, unit_id in tree.unit_ids.items():
        for post in Post:
            accounts.append(
                StaffAccount(
                    username=username(post, code),
                    real_name=people.chinese_name(
                        rng, rng.random() < 0.55, people.birth_date(rng, 1965, 2001)
                    ),
                    post=post,
                    org_unit_id=unit_id,
                    status=AccountStatus.ACTIVE,
                    # One hash for all: Argon2 is slow on purpose and the password is shared.
                    password_hash=password_hash,
                    password_changed_at=now,
                    must_change_password=False,
                    totp_secret=totp_secret(rng),
                    totp_enrolled=True,
                    created_at=now,
                    # Own RNG per account: adding the field reshuffles no other demo value.
                    mobile=people.mobile(random.Random(f"mobile:{code}:{post.value}")),
                    # Contractors' service runs half a year from generation (IAM-7).
                    service_ends_on=(
                        clock.business_day(now) + timedelta(days=182)
                        if post == Post.CONTRACTOR
                        else None
                    ),
                )
            )
    session.add_all(accounts)
    session.flush()
    return {a.username: a.id for a in accounts}


def create_reading_areas(
    session: Session, tree: OrgTree, staff_ids: dict[str, int]
) -> dict[str, list[int]]:
    """Five areas per county, one per town, read by the station's meter reader.

    Returns area ids per county code, in the county's town order."""
    by_county: dict[str, list[ReadingArea]] = {}
    for city in ZHEJIANG.cities:
        for county in city.counties:
            reader = staff_ids[username(Post.METER_READER, station_code(county))]
            by_county[county.code] = [
                ReadingArea(
                    code=f"{county.code}-ra{i}",
                    name=f"{county.short}{town.name}抄表段",
                    reader_id=reader,
                    org_unit_id=tree.station_id(county),
                )
                for i, town in enumerate(county.towns, start=1)
            ]
    session.add_all([a for areas in by_county.values() for a in areas])
    session.flush()
    return {code: [a.id for a in areas] for code, areas in by_county.items()}
