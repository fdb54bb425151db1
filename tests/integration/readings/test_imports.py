"""BILL-2 imports and entry against a real database: all-or-nothing files, the meter
reader's scope (IAM-1), repeats, closed periods."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.readings import services
from safegrid.readings.models import ImportBatch, RegisterRead
from safegrid.readings.schemas import ReadingEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World
from tests.integration.readings.conftest import Meters


def _count(world: World, model: type) -> int:
    with world.platform.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def _audits(world: World) -> int:
    with world.platform.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one())


def _csv(*rows: str) -> bytes:
    return ("asset_no,read_on,total,peak,valley,estimated\n" + "\n".join(rows) + "\n").encode()


def test_bill_2_file_with_one_bad_row_writes_nothing_and_names_row_and_field(
    world: World, meters: Meters
) -> None:
    m1, a1 = meters.make()
    m2, a2 = meters.make(multiplier=30)
    meters.stored_read(m1, date(2026, 10, 31), "100.00")
    meters.stored_read(m2, date(2026, 10, 31), "500.00")
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    before = _audits(world)
    data = _csv(
        f"{a1},2026-11-10,150.00,,,",
        f"{a2},2026-11-10,499.00,,,",  # row 3: lower than the stored 500.00
        f"{a1},2026-11-12,abc,,,",  # row 4: malformed
    )
    report = services.do_import_readings(world.platform.uow(world.actor(head)), "r.csv", data)
    assert not report.accepted
    assert [(e.row, e.field, e.code) for e in report.errors] == [
        (3, "total", "negative"),
        (4, "total", "malformed"),
    ]
    assert _count(world, RegisterRead) == 2  # only the two fixtures
    assert _count(world, ImportBatch) == 0
    assert _audits(world) == before

    good = _csv(f"{a1},2026-11-10,150.00,,,", f"{a2},2026-11-10,510.00,,,1")
    ok = services.do_import_readings(world.platform.uow(world.actor(head)), "r2.csv", good)
    assert ok.accepted, ok.errors
    assert (ok.readings, ok.flagged, ok.flag_counts) == (2, 1, {"estimated": 1})
    with world.platform.engine.connect() as conn:
        kwh = dict(
            conn.execute(
                select(RegisterRead.meter_id, RegisterRead.kwh).where(RegisterRead.kwh.is_not(None))
            ).all()
        )
    assert kwh == {m1: Decimal("50.00"), m2: Decimal("300.00")}  # 10.00 × 30
    assert _audits(world) == before + 1  # one summary entry for the batch


def test_bill_2_same_file_twice_is_refused(world: World, meters: Meters) -> None:
    _, asset = meters.make()
    data = _csv(f"{asset},2026-11-10,150.00,,,")
    actor = world.actor(world.staff(Post.TEAM_LEADER, "countyA"))
    assert services.do_import_readings(world.platform.uow(actor), "a.csv", data).accepted
    with pytest.raises(ConflictError):
        services.do_import_readings(world.platform.uow(actor), "a.csv", data)


def test_bill_2_excel_import_goes_through_the_same_rules(world: World, meters: Meters) -> None:
    meter_id, asset = meters.make(tou=True)
    meters.stored_read(meter_id, date(2026, 10, 31), "100.00", peak="60.00", valley="40.00")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["资产编号", "抄表日期", "总示数", "峰示数", "谷示数"])
    sheet.append([asset, date(2026, 11, 10), 130.0, 80.0, 50.0])
    buffer = io.BytesIO()
    book.save(buffer)
    actor = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    report = services.do_import_readings(world.platform.uow(actor), "r.xlsx", buffer.getvalue())
    assert report.accepted, report.errors
    with world.platform.engine.connect() as conn:
        row = conn.execute(
            select(RegisterRead.kwh, RegisterRead.peak_kwh, RegisterRead.valley_kwh).where(
                RegisterRead.read_on == date(2026, 11, 10)
            )
        ).one()
    assert tuple(row) == (Decimal("30.00"), Decimal("20.00"), Decimal("10.00"))


def test_iam_1_meter_reader_imports_only_meters_of_his_areas(world: World, meters: Meters) -> None:
    reader = world.staff(Post.METER_READER, "stationA")
    _, my_asset = meters.make(area=world.reading_area("stationA", reader))
    _, other_asset = meters.make()  # same station, another reader's area
    data = _csv(f"{my_asset},2026-11-10,150.00,,,", f"{other_asset},2026-11-10,150.00,,,")
    report = services.do_import_readings(world.platform.uow(world.actor(reader)), "r.csv", data)
    assert [(e.row, e.field, e.code) for e in report.errors] == [(3, "asset_no", "unknown_meter")]
    assert _count(world, RegisterRead) == 0


def test_iam_1_meter_reader_entry_outside_his_areas_is_not_found(
    world: World, meters: Meters
) -> None:
    reader = world.staff(Post.METER_READER, "stationA")
    mine, my_asset = meters.make(area=world.reading_area("stationA", reader))
    _, other_asset = meters.make()
    entry = {"read_on": date(2026, 11, 10), "total": Decimal("150.00")}
    out = services.do_enter_reading(
        world.platform.uow(world.actor(reader)), ReadingEntry(asset_no=my_asset, **entry)
    )
    assert (out.meter_id, out.kwh, out.source) == (mine, None, "manual")
    with pytest.raises(NotFoundError):
        services.do_enter_reading(
            world.platform.uow(world.actor(reader)), ReadingEntry(asset_no=other_asset, **entry)
        )


def test_bill_2_api_entry_bad_input_names_the_field(world: World, meters: Meters) -> None:
    reader = world.staff(Post.METER_READER, "stationA")
    meter_id, asset = meters.make(area=world.reading_area("stationA", reader))
    meters.stored_read(meter_id, date(2026, 10, 31), "100.00")
    client = TestClient(app_for(world.platform))
    auth = {"Authorization": f"Bearer {world.token(reader)}"}
    body = {"asset_no": asset, "read_on": "2026-11-10", "total": "90.00"}
    resp = client.post("/api/readings", json=body, headers=auth)
    assert resp.status_code == 422
    assert resp.json()["field"] == "total"
    resp = client.post("/api/readings", json={**body, "total": "1.234"}, headers=auth)
    assert resp.status_code == 422  # Pydantic: more than 2 decimals
    resp = client.post("/api/readings", json={**body, "total": "120.00"}, headers=auth)
    assert resp.status_code == 201, resp.text
    assert resp.json()["kwh"] == "20.00"
    resp = client.get(f"/api/meters/{meter_id}/readings", headers=auth)
    assert [r["read_on"] for r in resp.json()["register_reads"]] == ["2026-11-10", "2026-10-31"]


def test_bill_2_api_upload_rejected_file_returns_the_report(world: World, meters: Meters) -> None:
    _, asset = meters.make()
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    client = TestClient(app_for(world.platform))
    auth = {"Authorization": f"Bearer {world.token(head)}"}
    data = _csv(f"{asset},2026-11-10,150.00,,,", "ZZZ,2026-11-10,1,,,")
    resp = client.post("/api/readings/import", files={"file": ("r.csv", data)}, headers=auth)
    assert resp.status_code == 422
    assert resp.json()["errors"][0] | {"message": ""} == {
        "row": 3,
        "field": "asset_no",
        "code": "unknown_meter",
        "message": "",
    }
    resp = client.post("/api/readings/import", files={"file": ("r.txt", data)}, headers=auth)
    assert (resp.status_code, resp.json()["field"]) == (422, "file")


def test_bill_2_missing_column_and_empty_file_are_clear_errors(world: World) -> None:
    actor = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    with pytest.raises(ValidationProblem) as exc:
        services.do_import_readings(world.platform.uow(actor), "r.csv", b"asset_no,total\nX,1\n")
    assert exc.value.field == "read_on"
    with pytest.raises(ValidationProblem):
        services.do_import_readings(world.platform.uow(actor), "r.csv", b"")


def test_bill_2_bulk_write_stores_every_column_exactly(world: World, meters: Meters) -> None:
    """The bulk writer folds columns with one value into the statement (SQLite) or writes
    COPY text (PostgreSQL): every stored column must still be exactly what validation
    computed, across units, time-of-use and plain meters, first readings and flags."""
    tou, tou_asset = meters.make(tou=True, multiplier=40)
    meters.stored_read(tou, date(2026, 10, 31), "100.00", peak="60.00", valley="40.00")
    plain, plain_asset = meters.make("stationB")
    meters.stored_read(plain, date(2026, 10, 31), "99990.00")
    new, new_asset = meters.make()  # no reading yet: its first one has no energy
    data = _csv(
        f"{tou_asset},2026-11-10,130.00,80.00,50.00,",
        f"{plain_asset},2026-11-10,1.00,,,",  # rolled over past 99999.99
        f"{plain_asset},2026-11-11,1.00,,,1",
        f"{new_asset},2026-11-10,7.07,,,",
        f"{new_asset},2026-11-12,8.00,,,",
    )
    report = services.do_import_readings(world.platform.uow(world.system()), "x.csv", data)
    assert report.accepted, report.errors
    with world.platform.engine.connect() as conn:
        rows = conn.execute(
            select(
                RegisterRead.meter_id,
                RegisterRead.read_on,
                RegisterRead.total_register,
                RegisterRead.peak_register,
                RegisterRead.valley_register,
                RegisterRead.kwh,
                RegisterRead.peak_kwh,
                RegisterRead.valley_kwh,
                RegisterRead.estimated,
                RegisterRead.flags,
                RegisterRead.source,
                RegisterRead.batch_id,
                RegisterRead.entered_by,
                RegisterRead.org_unit_id,
            )
            .where(RegisterRead.batch_id.is_not(None))
            .order_by(RegisterRead.meter_id, RegisterRead.read_on)
        ).all()
    d, batch, who = Decimal, report.batch_id, "system:tests"
    unit_a, unit_b = meters.unit_of(tou), meters.unit_of(plain)
    expected = [
        (tou, date(2026, 11, 10), d("130.00"), d("80.00"), d("50.00"), d("1200.00"),
         d("800.00"), d("400.00"), False, None, "import", batch, who, unit_a),
        (plain, date(2026, 11, 10), d("1.00"), None, None, d("11.00"), None, None, False,
         "rollover", "import", batch, who, unit_b),
        (plain, date(2026, 11, 11), d("1.00"), None, None, d("0.00"), None, None, True,
         "estimated", "import", batch, who, unit_b),
        (new, date(2026, 11, 10), d("7.07"), None, None, None, None, None, False, None,
         "import", batch, who, unit_a),
        (new, date(2026, 11, 12), d("8.00"), None, None, d("0.93"), None, None, False, None,
         "import", batch, who, unit_a),
    ]  # fmt: skip
    assert [tuple(r) for r in rows] == expected
