"""Example bodies for the readings routes (BILL-2): a meter the caller may read (a meter
reader's own reading area), readings dated in the open month, a past month to close."""

from __future__ import annotations

import secrets
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safegrid.customers.models import Meter
from safegrid.customers.schemas import MeterCreate
from safegrid.customers.services import do_install_meter
from safegrid.platform import clock
from safegrid.readings import services
from safegrid.readings.correction_models import CorrectionStatus, UsageCorrectionRequest
from safegrid.readings.route_models import ReadingReview, ReviewStatus
from safegrid.readings.schemas import ReadingEntry
from safegrid.security.policy import Post

if TYPE_CHECKING:  # inputs.py imports this module
    from tests.fixtures.world import Staff, World
    from tests.permissions.inputs import Ctx

_AMI_DIR = Path(tempfile.mkdtemp(prefix="safegrid-matrix-ami-"))


def _meter_asset(c: Ctx) -> str:
    w = c.world
    reader = c.staff if c.staff.post == Post.METER_READER else None
    asset = f"ZJR{secrets.randbelow(10**9):09d}"
    do_install_meter(
        w.platform.uow(w.system()),
        w.customer("stationA"),
        MeterCreate(
            asset_no=asset,
            model="DDZY71-Z",
            reading_area_id=w.reading_area("stationA", reader),
            latitude=Decimal("30.050000"),
            longitude=Decimal("119.950000"),
            installed_on=clock.business_day() - timedelta(days=5),
        ),
    )
    return asset


def _entry(c: Ctx) -> dict[str, str]:
    return {
        "asset_no": _meter_asset(c),
        "read_on": clock.business_day().isoformat(),
        "total": "10.00",
    }


def _csv(c: Ctx) -> dict[str, Any]:
    e = _entry(c)
    data = f"asset_no,read_on,total\n{e['asset_no']},{e['read_on']},{e['total']}\n".encode()
    return {"files": {"file": ("readings.csv", data, "text/csv")}}


def _ami(c: Ctx) -> dict[str, Any]:
    c.world.platform.settings.ami_dir = _AMI_DIR  # never the repository's var/ami
    asset = _meter_asset(c)
    today = clock.business_day()
    start = ReadingEntry(asset_no=asset, read_on=today - timedelta(days=2), total=Decimal("5"))
    services.do_enter_reading(c.world.platform.uow(c.world.system()), start)
    day = datetime.combine(today - timedelta(days=1), datetime.min.time())
    lines = ["asset_no,interval_start,kwh"] + [
        f"{asset},{day + timedelta(minutes=15 * k):%Y-%m-%d %H:%M},0.0125" for k in range(96)
    ]
    return {"files": {"file": ("feed.csv", ("\n".join(lines) + "\n").encode(), "text/csv")}}


_areas: dict[int, tuple[World, tuple[int, int]]] = {}


def _area(w: World, s: Staff) -> tuple[int, int]:
    """A reading book inside and one outside, made once per test; a meter reader gets a
    book of his own (his scope is his books, IAM-1)."""
    if s.post == Post.METER_READER:
        return w.reading_area("stationA", s), w.reading_area("stationB")
    hit = _areas.get(id(w))
    if hit is None or hit[0] is not w:
        hit = _areas[id(w)] = (w, (w.reading_area("stationA"), w.reading_area("stationB")))
    return hit[1]


def _waiting_in(w: World, unit: str, reader: Staff | None) -> int:
    """An abnormal reading waiting for review in ``unit`` (as a reader's entry leaves it)."""
    meter_id = w.meter(w.customer(unit), w.reading_area(unit, reader))
    with w.platform.uow(w.system()) as uow:
        review = ReadingReview(
            meter_id=meter_id,
            read_on=clock.business_day(),
            total_register=Decimal("900.00"),
            kinds="jump",
            reason="表盘确认",
            entered_by="reader",
            entered_at=clock.now(),
            status=ReviewStatus.PENDING,
            org_unit_id=w.units[unit],
        )
        uow.session.add(review)
        uow.session.flush()
        uow.audit("test.review", object_type="reading_review", object_id=review.id)
        uow.commit()
        return review.id


_reviews: dict[int, tuple[World, tuple[int, int]]] = {}


def _review(w: World, s: Staff) -> tuple[int, int]:
    """One waiting reading inside and one outside per test, not per post: the first
    supervisor decides it, the next finds it decided (409)."""
    hit = _reviews.get(id(w))
    if hit is None or hit[0] is not w:
        pair = (_waiting_in(w, "stationA", None), _waiting_in(w, "stationB", None))
        hit = _reviews[id(w)] = (w, pair)
    return hit[1]


def _correction_in(w: World, unit: str) -> int:
    """A usage correction waiting for approval in ``unit`` (as a proposal leaves it)."""
    from tests.fixtures.billing import new_account

    account_id, meter_id = new_account(w, unit)
    with w.platform.uow(w.system()) as uow:
        request = UsageCorrectionRequest(
            meter_id=meter_id,
            account_id=account_id,
            period="2026-01",
            old_kwh=Decimal("100"),
            new_kwh=Decimal("120"),
            reason="表盘误读",
            evidence="照片 IMG-1",
            proposed_by="fixture",
            proposed_at=clock.now(),
            status=CorrectionStatus.PENDING,
            org_unit_id=w.units[unit],
        )
        uow.session.add(request)
        uow.session.flush()
        uow.audit("test.correction", object_type="usage_correction_request", object_id=request.id)
        uow.commit()
        return request.id


_corrections: dict[int, tuple[World, tuple[int, int]]] = {}


def _correction(w: World, s: Staff) -> tuple[int, int]:
    """One waiting correction inside and one outside per test: the first approver decides
    it, the next finds it decided (409)."""
    hit = _corrections.get(id(w))
    if hit is None or hit[0] is not w:
        pair = (_correction_in(w, "stationA"), _correction_in(w, "stationB"))
        hit = _corrections[id(w)] = (w, pair)
    return hit[1]


def _proposal(c: Ctx) -> dict[str, Any]:
    """A closed month's usage of a meter the caller may read (a reader: in his own book)."""
    from tests.fixtures.billing import new_account, set_usage

    w = c.world
    account_id, meter_id = new_account(w, "stationA")
    own = w.reading_area("stationA", c.staff) if c.staff.post == Post.METER_READER else None
    with w.platform.uow(w.system()) as uow:
        meter = uow.session.get(Meter, meter_id)
        assert meter is not None
        meter.reading_area_id = own or meter.reading_area_id
        asset = meter.asset_no
        uow.audit("test.meter_area", object_type="meter", object_id=meter_id)
        uow.commit()
    set_usage(w, meter_id, account_id, _last_month(), "100")
    data = {"asset_no": asset, "period": _last_month(), "kwh": "120.00"}
    return {"data": data | {"reason": "表盘误读，应为120", "evidence": "表盘照片 IMG-1"}}


READINGS_PARAMS = {"area_id": _area, "reading_review_id": _review, "correction_id": _correction}
# A reading (or correction) the previous post already decided is refused as decided.
READINGS_ALLOWED_BUSINESS = {
    "POST /readings/reviews/{reading_review_id}": {409},
    "POST /readings/corrections/{correction_id}": {409},
    "POST /api/readings/corrections/{correction_id}/decision": {409},
}


def _last_month() -> str:
    first = clock.business_day().replace(day=1) - timedelta(days=1)
    return f"{first:%Y-%m}"


READINGS_BODIES = {
    "POST /api/readings": lambda c: {"json": _entry(c)},
    "POST /api/readings/import": _csv,
    "POST /api/readings/ami": _ami,
    "POST /api/reading-periods/close": lambda c: {"json": {"period": _last_month()}},
    "POST /readings/new": lambda c: {"data": _entry(c)},
    "POST /readings/import": _csv,
    "POST /readings/periods/close": lambda c: {"data": {"period": _last_month()}},
    "POST /readings/books/{area_id}/order": lambda c: {"data": {"order": ""}},
    "POST /readings/reviews/{reading_review_id}": lambda c: {
        "data": {"decision": "reject", "note": "请重新抄读"}
    },
    "POST /readings/corrections": _proposal,
    "POST /api/readings/corrections": lambda c: {"json": _proposal(c)["data"]},
    "POST /api/readings/corrections/{correction_id}/decision": lambda c: {
        "json": {"decision": "reject", "note": "依据不足，请补充"}
    },
    "POST /readings/corrections/{correction_id}": lambda c: {
        "data": {"decision": "reject", "note": "依据不足，请补充"}
    },
}
