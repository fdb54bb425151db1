"""BILL-2 console pages: entry form, import with the error report, periods, a meter's
readings — in Chinese and English."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.world import World
from tests.integration.readings.conftest import Meters


def _client(world: World, post: Post, unit: str = "countyA") -> TestClient:
    staff = world.staff(post, unit)
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))
    return client


def test_bill_2_console_import_shows_the_error_report_and_writes_nothing(
    world: World, meters: Meters
) -> None:
    meter_id, asset = meters.make()
    meters.stored_read(meter_id, date(2026, 10, 31), "100.00")
    client = _client(world, Post.DEPARTMENT_HEAD)
    bad = f"资产编号,抄表日期,总示数\n{asset},2026-11-10,90.00\n{asset},2026-11-11,x\n".encode()
    page = client.post("/readings/import", files={"file": ("r.csv", bad, "text/csv")})
    assert page.status_code == 422
    assert 'data-testid="import-errors"' in page.text
    assert "未导入" in page.text and "电量为负" in page.text
    good = f"asset_no,read_on,total\n{asset},2026-11-10,120.00\n".encode()
    page = client.post("/readings/import", files={"file": ("r.csv", good, "text/csv")})
    assert page.status_code == 200
    assert "已从 r.csv 导入 1 条读数" in page.text
    client.cookies.set(LANG_COOKIE, "en")
    page = client.get(f"/meters/{meter_id}/readings")
    assert page.status_code == 200
    assert "120.00" in page.text


def test_bill_2_console_entry_form_and_meter_lookup(world: World, meters: Meters) -> None:
    reader = world.staff(Post.METER_READER, "stationA")
    meter_id, asset = meters.make(area=world.reading_area("stationA", reader))
    meters.stored_read(meter_id, date(2026, 10, 31), "100.00")
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(reader, "console"))
    assert client.get("/readings/new").status_code == 200
    form = {"asset_no": asset, "read_on": "2026-11-10", "total": "50.00"}
    page = client.post("/readings/new", data=form)
    assert page.status_code == 422
    assert "电量为负" in page.text
    page = client.post("/readings/new", data={**form, "total": "150.00"}, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, f"/meters/{meter_id}/readings")
    found = client.get("/readings", params={"asset_no": asset}, follow_redirects=False)
    assert found.headers["location"] == f"/meters/{meter_id}/readings"
    _, other = meters.make()  # not in his reading areas
    assert client.get("/readings", params={"asset_no": other}).status_code == 404


def test_bill_2_console_period_list_and_close_button(world: World, meters: Meters) -> None:
    meters.make()
    client = _client(world, Post.DEPARTMENT_HEAD)
    page = client.get("/readings/periods")
    assert page.status_code == 200
    assert 'value="2026-10"' in page.text  # October is over: a close button
    assert 'value="2026-11"' not in page.text  # November is not
    page = client.post("/readings/periods/close", data={"period": "2026-10"})
    assert page.status_code == 200
    assert "2026-10 已关闭" in page.text
    viewer = _client(world, Post.CASHIER)
    assert 'value="2026-09"' not in viewer.get("/readings/periods").text  # may not close
