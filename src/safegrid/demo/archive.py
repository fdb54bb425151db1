"""The customer archive (客户档案): customers, accounts, supply points, meters, contracts.

Each customer gets one of each, owned by its county's supply station. Rows are built
as plain dicts and written with ORM bulk inserts a few thousand at a time; ``RETURNING``
hands back the new ids in order, which the next table's foreign keys need, and works
the same on SQLite and PostgreSQL (explicit ids would leave PostgreSQL's sequences
behind).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from safegrid.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Meter,
    RecordStatus,
    SupplyContract,
    SupplyPoint,
)
from safegrid.demo import enterprises, people, profiles
from safegrid.demo.geography import COUNTIES, County, Town
from safegrid.demo.organisation import OrgTree
from safegrid.security.fields import seal_bulk

ENTERPRISE_SHARE = 0.05
TOU_SHARE = 0.30  # residents who chose the peak/valley (峰谷) tariff
CHUNK = 2000

_SINGLE_PHASE = ("DDZY71-Z", "DDZY102-Z", "DDZY1558-Z")  # single-phase cost-control meters
_THREE_PHASE = ("DTZY71", "DTZY341-G", "DSZY71")  # three-phase, behind current transformers
_HOME_KVA = ((4, 1), (6, 3), (8, 8), (10, 3), (12, 1))
# Standard distribution transformer sizes (kVA).
_TRANSFORMERS = (50, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600)
# Smart meters replaced the old induction meters from 2012 on.
_SMART_METER_ROLLOUT = date(2012, 1, 1)
_RESIDENTIAL_VOLTAGE = Decimal("0.22")
_ENTERPRISE_VOLTAGE = Decimal("10.00")
DIRECT_DEBIT_SHARE = 0.35  # accounts paid by bank direct debit (代扣)
# Issuer identification numbers of debit cards of the big banks (UnionPay 62…).
_BANKS = (
    ("中国工商银行", "622202"),
    ("中国建设银行", "621700"),
    ("中国农业银行", "622848"),
    ("中国银行", "621661"),
    ("浙江农商银行", "621058"),
)


@dataclasses.dataclass(frozen=True)
class MeterPlan:
    """What the readings phase needs to know about one meter."""

    meter_id: int
    org_unit_id: int
    multiplier: int
    load: profiles.LoadParams
    # The register on the day before the first reading, in hundredths of a unit.
    start_register_c: int


@dataclasses.dataclass
class ArchiveCounts:
    residents: int = 0
    enterprises: int = 0
    key_customers: int = 0


@dataclasses.dataclass
class _Draft:
    customer: dict[str, Any]
    account: dict[str, Any]
    supply_point: dict[str, Any]
    meter: dict[str, Any]
    contract: dict[str, Any]
    load: profiles.LoadParams
    start_register_c: int


@dataclasses.dataclass(frozen=True)
class _Context:
    county: County
    county_no: int  # 1-based, used inside meter asset numbers
    station_id: int
    area_ids: list[int]
    first_day: date
    now: datetime
    # Identity strings already issued (ID numbers, credit codes, company names): real
    # ones are unique, and at 20,000 people a random draw would repeat a few.
    taken: set[str]


def county_quotas(total: int) -> list[int]:
    """Split ``total`` customers over the counties by weight; the rounding rest goes first."""
    weights = [c.weight for c in COUNTIES]
    quotas = [int(total * w / sum(weights)) for w in weights]
    quotas[0] += total - sum(quotas)
    return quotas


def _random_day(rng: random.Random, start: date, end: date) -> date:
    if end <= start:  # an empty window (very long --days): the latest allowed day
        return end
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _coordinates(rng: random.Random, county: County, town: Town) -> tuple[Decimal, Decimal]:
    # Clustered round the town centre, clipped to the county's box.
    box = county.box
    lat = min(max(rng.gauss(town.lat, 0.012), box.lat_min), box.lat_max)
    lon = min(max(rng.gauss(town.lon, 0.015), box.lon_min), box.lon_max)
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


def _multiplier(capacity_kva: int) -> int:
    # Current-transformer ratio sized to the load: 100/5 → 20 … 500/5 → 100.
    if capacity_kva <= 80:
        return 20
    if capacity_kva <= 160:
        return 30
    if capacity_kva <= 400:
        return 50
    return 100


@dataclasses.dataclass(frozen=True)
class _Party:
    """What differs between a household and a firm; the rest of the archive follows."""

    customer: dict[str, Any]
    opened: date
    load: profiles.LoadParams
    capacity_kva: int
    multiplier: int
    tariff: str
    voltage: Decimal
    meter_models: tuple[str, ...]
    is_tou: bool
    valid_from: date
    valid_to: date | None


def _enterprise(rng: random.Random, ctx: _Context, town: Town) -> _Party:
    county = ctx.county
    latest_open = ctx.first_day - timedelta(days=60)
    opened = _random_day(rng, date(1993, 1, 1), latest_open)
    firm = enterprises.company(rng, county, opened, ctx.taken)
    while firm.credit_code in ctx.taken:
        firm = dataclasses.replace(
            firm, credit_code=enterprises.credit_code(rng, county.region_code, opened)
        )
    ctx.taken.add(firm.credit_code)
    load = profiles.enterprise_params(rng, firm.tariff_category == "commercial")
    # Peak ≈ 2.2 × the mean hourly load at power factor 0.85, plus some headroom.
    needed = load.base_kwh / 24 * 2.2 / 0.85 * rng.uniform(1.0, 1.6)
    capacity = next((t for t in _TRANSFORMERS if t >= needed), _TRANSFORMERS[-1])
    # The current five-year contract (high-voltage supply contracts run at most five).
    valid_from = _random_day(rng, max(opened, ctx.first_day - timedelta(days=4 * 365)), latest_open)
    return _Party(
        customer={
            "kind": CustomerKind.ENTERPRISE,
            "name": firm.name,
            "id_number": None,
            "credit_code": firm.credit_code,
            "mobile": people.mobile(rng),  # the firm's electricity contact
            "address": people.business_address(rng, county, town),
            "is_key_customer": capacity >= 500 or load.base_kwh >= 2000,
        },
        opened=opened,
        load=load,
        capacity_kva=capacity,
        multiplier=_multiplier(capacity),
        tariff=firm.tariff_category,
        voltage=_ENTERPRISE_VOLTAGE,
        meter_models=_THREE_PHASE,
        # Industry and commerce from 100 kVA up are on peak/valley pricing.
        is_tou=capacity >= 100,
        valid_from=valid_from,
        valid_to=valid_from + timedelta(days=5 * 365 - 1),
    )


def _resident(rng: random.Random, ctx: _Context, town: Town) -> _Party:
    county = ctx.county
    # Account holders are adults before the first reading, however far back that is.
    last_year = min(2004, ctx.first_day.year - 19)
    person = people.person(rng, county.region_code, last_year=last_year)
    while person.id_number in ctx.taken:
        person = people.person(rng, county.region_code, last_year=last_year)
    ctx.taken.add(person.id_number)
    adult = date(person.born.year + 18, 1, 1)
    opened = _random_day(rng, max(adult, date(1990, 1, 1)), ctx.first_day - timedelta(days=60))
    load = profiles.resident_params(rng)
    return _Party(
        customer={
            "kind": CustomerKind.RESIDENT,
            "name": person.name,
            "id_number": person.id_number,
            "credit_code": None,
            "mobile": person.mobile,
            "address": people.home_address(rng, county, town),
            "is_key_customer": False,
        },
        opened=opened,
        load=load,
        capacity_kva=rng.choices([k for k, _ in _HOME_KVA], [w for _, w in _HOME_KVA])[0],
        multiplier=1,
        tariff="residential",
        voltage=_RESIDENTIAL_VOLTAGE,
        meter_models=_SINGLE_PHASE,
        is_tou=rng.random() < TOU_SHARE,
        # Household contracts run until the account is closed.
        valid_from=opened,
        valid_to=None,
    )


def _direct_debit(number: str) -> dict[str, Any]:
    """Bank details of a direct-debit account, or none. Drawn from the account number, not
    the shared generator, so adding them left every other generated value unchanged."""
    own = random.Random(f"bank {number}")
    if own.random() >= DIRECT_DEBIT_SHARE:
        return {"bank_name": None, "bank_account": None}
    bank, iin = own.choice(_BANKS)
    body = iin + "".join(own.choice("0123456789") for _ in range(12))
    return {"bank_name": bank, "bank_account": body + _luhn(body)}


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _draft(rng: random.Random, ctx: _Context, serial: int) -> _Draft:
    county = ctx.county
    town_no = rng.choices(range(len(county.towns)), [t.weight for t in county.towns])[0]
    town = county.towns[town_no]
    enterprise = rng.random() < ENTERPRISE_SHARE
    party = _enterprise(rng, ctx, town) if enterprise else _resident(rng, ctx, town)
    customer, opened, load, multiplier = party.customer, party.opened, party.load, party.multiplier
    installed = _random_day(rng, max(opened, _SMART_METER_ROLLOUT), ctx.first_day - timedelta(1))
    in_service = (ctx.first_day - installed).days
    start_register = load.base_kwh * in_service * rng.uniform(0.85, 1.15) / multiplier
    lat, lon = _coordinates(rng, county, town)
    scoped = {"org_unit_id": ctx.station_id}
    kva = Decimal(party.capacity_kva).quantize(Decimal("0.01"))
    return _Draft(
        customer={
            **customer,
            **scoped,
            "number": f"{county.region_code}{serial:07d}",
            "status": RecordStatus.ACTIVE,
            "created_at": ctx.now,
            "updated_at": ctx.now,
        },
        account={
            **scoped,
            "number": f"33{ctx.county_no:02d}{serial:06d}",
            "tariff_category": party.tariff,
            "status": RecordStatus.ACTIVE,
            "opened_on": opened,
            **_direct_debit(f"33{ctx.county_no:02d}{serial:06d}"),
        },
        supply_point={
            **scoped,
            "address": customer["address"],
            "voltage_kv": party.voltage,
            "capacity_kva": kva,
        },
        meter={
            **scoped,
            "asset_no": f"ZJ{ctx.county_no:02d}{serial:08d}",
            "reading_area_id": ctx.area_ids[town_no],
            "model": rng.choice(party.meter_models),
            "multiplier": multiplier,
            "is_tou": party.is_tou,
            "latitude": lat,
            "longitude": lon,
            "installed_on": installed,
            "status": RecordStatus.ACTIVE,
        },
        contract={
            **scoped,
            "number": f"HT{county.region_code}{serial:07d}",
            "signed_on": party.valid_from,
            "valid_from": party.valid_from,
            "valid_to": party.valid_to,
            "capacity_kva": kva,
        },
        load=load,
        start_register_c=round(start_register * 100),
    )


def _insert_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    # Bulk inserts bypass the ORM's attribute events: fill the blind indexes and encrypt
    # the sensitive columns here, in one batch per column (DATA-2, ADR 0008).
    seal_bulk(model.__table__, rows)
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows).all())


def _write(session: Session, drafts: list[_Draft], station_id: int) -> list[MeterPlan]:
    customers = [d.customer for d in drafts]
    customer_ids = _insert_ids(session, Customer, customers)
    account_ids = _insert_ids(
        session,
        Account,
        [{**d.account, "customer_id": cid} for d, cid in zip(drafts, customer_ids, strict=True)],
    )
    point_ids = _insert_ids(
        session,
        SupplyPoint,
        [{**d.supply_point, "account_id": aid} for d, aid in zip(drafts, account_ids, strict=True)],
    )
    meter_ids = _insert_ids(
        session,
        Meter,
        [{**d.meter, "supply_point_id": pid} for d, pid in zip(drafts, point_ids, strict=True)],
    )
    session.execute(
        insert(SupplyContract),
        [{**d.contract, "customer_id": cid} for d, cid in zip(drafts, customer_ids, strict=True)],
    )
    return [
        MeterPlan(mid, station_id, d.meter["multiplier"], d.load, d.start_register_c)
        for d, mid in zip(drafts, meter_ids, strict=True)
    ]


def create_customers(
    session: Session,
    tree: OrgTree,
    area_ids: dict[str, list[int]],
    rng: random.Random,
    *,
    total: int,
    first_day: date,
    now: datetime,
    advance: Callable[[int], None],
) -> tuple[list[MeterPlan], ArchiveCounts]:
    """Write ``total`` customers county by county; meters come back in id order, grouped
    by station, which is the order the readings are written in."""
    plans: list[MeterPlan] = []
    counts = ArchiveCounts()
    taken: set[str] = set()
    for county_no, (county, quota) in enumerate(
        zip(COUNTIES, county_quotas(total), strict=True), 1
    ):
        ctx = _Context(
            county, county_no, tree.station_id(county), area_ids[county.code], first_day, now, taken
        )
        for start in range(0, quota, CHUNK):
            serials = range(start + 1, min(start + CHUNK, quota) + 1)
            drafts = [_draft(rng, ctx, serial) for serial in serials]
            plans += _write(session, drafts, ctx.station_id)
            for d in drafts:
                if d.customer["kind"] is CustomerKind.ENTERPRISE:
                    counts.enterprises += 1
                    counts.key_customers += d.customer["is_key_customer"]
                else:
                    counts.residents += 1
            advance(len(drafts))
    return plans, counts
