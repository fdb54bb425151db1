"""OPS-6 (field side), FLD-2, FLD-5 in the browser on a phone: a field worker takes an order
offline through the 三查三测 checklist with photos carrying EXIF (made with Pillow here),
syncs when the network returns, and nothing is lost or doubled; a team leader's dispatch of
a high-risk order under a thunderstorm (the sandbox weather process) is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from safegrid.platform import clock
from tests.fixtures.field import exif_photo, kit_pieces

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

PHONE = {"width": 390, "height": 844}
# How many photos the field app keeps in its IndexedDB store.
STORED_PHOTOS = """() => new Promise((ok, fail) => {
  const r = indexedDB.open("sg-field", 1);
  r.onsuccess = () => { const c = r.result.transaction("photos").objectStore("photos").count();
                        c.onsuccess = () => ok(c.result); c.onerror = fail; };
  r.onerror = fail;
})"""


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=server.base_url,
        locale="zh-CN",
        viewport=PHONE,
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
        service_workers="allow",
    )
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


def _platform(server: Server):  # type: ignore[no-untyped-def]
    from safegrid.bootstrap import Platform
    from safegrid.config import Settings

    return Platform(Settings(database_url=f"sqlite:///{server.db_path}", env="dev"))


def _crew(server: Server, tag: str) -> dict[str, object]:
    """A station's field worker, supervisor and team leader (demo staff), their kits
    issued and tested, and a meter of the station."""
    from safegrid.fieldwork import kits
    from safegrid.security.actor import Actor
    from safegrid.security.cli_identity import actor_from_username

    row = server.row(
        "SELECT w.username, w.id, w.org_unit_id FROM staff_accounts w WHERE w.post = 'field_worker' "
        "AND EXISTS (SELECT 1 FROM staff_accounts s WHERE s.post = 'safety_supervisor' "
        "AND s.org_unit_id = w.org_unit_id) AND EXISTS (SELECT 1 FROM meters m WHERE "
        "m.org_unit_id = w.org_unit_id) ORDER BY w.id LIMIT 1 OFFSET ?",
        0 if tag == "A" else 1,
    )
    assert row is not None, "the demo has a station with field staff and meters"
    worker, worker_id, unit = row
    supervisor = server.row(
        "SELECT username, id FROM staff_accounts WHERE post = 'safety_supervisor' AND org_unit_id = ?",
        unit,
    )
    leader = server.scalar(
        "SELECT s.username FROM staff_accounts s JOIN org_units u ON u.id = s.org_unit_id "
        "WHERE s.post = 'team_leader' AND (SELECT path FROM org_units WHERE id = ?) LIKE u.path || '%' "
        "ORDER BY length(u.path) DESC LIMIT 1",
        unit,
    )
    meter = server.row(
        "SELECT id, latitude, longitude FROM meters WHERE org_unit_id = ? LIMIT 1", unit
    )
    assert supervisor and leader and meter
    platform = _platform(server)
    try:
        # The demo issues kits to station crews; a crew without one gets one here.
        holders = {int(worker_id): f"E2E{tag}W", int(supervisor[1]): f"E2E{tag}S"}  # type: ignore[arg-type]
        missing = [
            kits.NewKit(h, kit_pieces(t))
            for h, t in holders.items()
            if server.scalar("SELECT number FROM tool_kits WHERE holder_id = ?", h) is None
        ]
        if missing:
            kits.do_issue_kits(platform.uow(Actor.system("e2e-setup", "cli")), missing)
        numbers = [
            str(server.scalar("SELECT number FROM tool_kits WHERE holder_id = ?", h))
            for h in holders
        ]
        today = clock.business_day()
        kits.do_record_kit_tests(
            platform.uow(actor_from_username(platform, str(leader))),
            [
                kits.KitTestIn(n, f"E2E-{tag}-{n}", today, {p: True for p in kit_pieces("x")})
                for n in numbers
            ],
        )
    finally:
        platform.dispose()
    return {
        "worker": worker,
        "worker_id": worker_id,
        "supervisor_id": supervisor[1],
        "leader": leader,
        "meter": meter,
    }


def _order(server: Server, crew: dict[str, object], **extra: object) -> tuple[int, str]:
    from safegrid.fieldwork import services
    from safegrid.fieldwork.models import WorkOrderKind
    from safegrid.security.cli_identity import actor_from_username

    now = clock.now()
    meter_id = crew["meter"][0]  # type: ignore[index]
    data = services.NewWorkOrder(
        WorkOrderKind.INSPECT,
        meter_id,
        clock.business_day(now),
        crew["worker_id"],  # type: ignore[arg-type]
        crew["supervisor_id"],
        window_start=extra.pop("start", now - timedelta(hours=1)),  # type: ignore[arg-type]
        window_end=extra.pop("end", now + timedelta(hours=8)),
        **extra,  # type: ignore[arg-type]
    )
    platform = _platform(server)
    try:
        order_id = services.do_open_work_order(
            platform.uow(actor_from_username(platform, str(crew["leader"]))), data
        )
    finally:
        platform.dispose()
    number = server.scalar("SELECT number FROM work_orders WHERE id = ?", order_id)
    return order_id, str(number)


@pytest.mark.browser
def test_ops_6_fld_2_offline_checklist_with_exif_photos_then_sync(
    phone: BrowserContext, server: Server
) -> None:
    from safegrid.fieldwork import lifecycle
    from safegrid.security.cli_identity import actor_from_username

    crew = _crew(server, "A")
    order_id, number = _order(server, crew)
    platform = _platform(server)
    try:
        lifecycle.do_dispatch(
            platform.uow(actor_from_username(platform, str(crew["leader"]))), [order_id]
        )
    finally:
        platform.dispose()

    page: Page = phone.new_page()
    page.goto("/field")
    page.fill("input[name=username]", str(crew["worker"]))
    page.fill("input[name=password]", "SafeGrid@2026")
    page.fill("input[name=otp]", server.fresh_code(str(crew["worker"])))
    page.click("#signin-form button[type=submit]")
    expect(page.get_by_test_id("order-list")).to_contain_text(number)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    # No network from here on: the shell comes from the service worker, data from the device.
    phone.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("net")).to_have_text("离线")
    page.get_by_text(number).click()
    page.click("[data-step=accept]")
    lat, lon = (Decimal(str(v)) for v in crew["meter"][1:])  # type: ignore[index]
    taken = clock.now()
    for item in ("casing", "grounding", "no_water", "electroscope", "voltage", "ground_resistance"):
        page.set_input_files(
            f"input[name=photo-{item}]",
            files=[
                {
                    "name": f"{item}.jpg",
                    "mimeType": "image/jpeg",
                    "buffer": exif_photo(taken, lat, lon),
                }
            ],
        )
    page.fill("input[name=value-voltage]", "221.5")
    page.fill("input[name=value-ground_resistance]", "2.8")
    page.click("#checklist button[type=submit]")
    expect(page.locator("#checklist-error")).to_contain_text("已保存在本机")
    # The photos wait in IndexedDB; the queue in localStorage holds only their keys.
    assert page.evaluate(STORED_PHOTOS) == 6
    assert "photo_key" in page.evaluate("localStorage.getItem('sg.field.queue')")
    assert len(page.evaluate("localStorage.getItem('sg.field.queue')")) < 5000
    page.click("[data-step=start]")
    expect(page.get_by_test_id("queue")).to_contain_text("8")
    server.screenshot(page, "field-app-offline")
    page.click("#back")
    page.get_by_test_id("sync").click()
    expect(page.get_by_test_id("sync-result")).to_contain_text("无网络")
    assert (
        server.scalar("SELECT COUNT(*) FROM work_order_checks WHERE work_order_id = ?", order_id)
        == 0
    )

    # The network returns: the app syncs by itself (a click meanwhile joins that sync).
    phone.set_offline(False)
    page.get_by_test_id("sync").click()
    expect(page.get_by_test_id("sync-result")).to_contain_text("8 项生效")
    expect(page.get_by_test_id("queue")).to_contain_text("0")
    assert page.evaluate(STORED_PHOTOS) == 0  # answered: the device lets them go
    server.screenshot(page, "field-app-synced")
    assert server.scalar("SELECT status FROM work_orders WHERE id = ?", order_id) == "started"
    assert (
        server.scalar("SELECT COUNT(*) FROM work_order_checks WHERE work_order_id = ?", order_id)
        == 6
    )
    assert (
        server.scalar(
            "SELECT COUNT(*) FROM field_photos p JOIN work_order_checks c ON c.photo_id = p.id "
            "WHERE c.work_order_id = ? AND length(p.sha256) = 64",
            order_id,
        )
        == 6
    )
    assert server.scalar("SELECT COUNT(*) FROM field_sync_receipts WHERE status = 'applied'") >= 8  # type: ignore[operator]


@pytest.mark.browser
def test_fld_5_weather_blocked_dispatch_on_a_phone(phone: BrowserContext, server: Server) -> None:
    from safegrid.fieldwork import high_risk
    from safegrid.fieldwork.models import WorkRisk
    from safegrid.security.cli_identity import actor_from_username

    crew = _crew(server, "B")
    tomorrow = clock.now() + timedelta(days=1)
    order_id, number = _order(
        server, crew, risk=WorkRisk.HIGH, start=tomorrow, end=tomorrow + timedelta(hours=6)
    )
    with server.db() as conn:  # planned for tomorrow's business day
        conn.execute(
            "UPDATE work_orders SET planned_on = ? WHERE id = ?",
            (str(clock.business_day(tomorrow)), order_id),
        )
    platform = _platform(server)
    try:
        leader = actor_from_username(platform, str(crew["leader"]))
        high_risk.do_report_ahead(platform.uow(leader), [order_id])
        high_risk.do_prepare(platform.uow(leader), [order_id], high_risk.PREPARATIONS)
    finally:
        platform.dispose()
    lat, lon = crew["meter"][1:]  # type: ignore[index]
    httpx.put(
        f"{server.weather_url}/v1/areas/e2e-storm",
        json={"lat": str(lat), "lon": str(lon), "radius_km": 2, "thunderstorm": True},
    ).raise_for_status()
    try:
        page = phone.new_page()
        server.sign_in(page, str(crew["leader"]))
        page.goto("/fieldwork/safety")
        page.get_by_test_id(f"dispatch-{number}").click()
        expect(page.locator("body")).to_contain_text("雷雨天气")
        server.screenshot(page, "field-dispatch-weather-blocked")
        assert server.scalar("SELECT status FROM work_orders WHERE id = ?", order_id) == "assigned"
    finally:
        httpx.delete(f"{server.weather_url}/v1/areas/e2e-storm")


def _kit(server: Server, leader: str, holders: dict[int, str]) -> None:
    """Issue (if missing) and pass today's insulation test of each holder's kit (FLD-1)."""
    from safegrid.fieldwork import kits
    from safegrid.security.actor import Actor
    from safegrid.security.cli_identity import actor_from_username

    platform = _platform(server)
    try:
        missing = [
            kits.NewKit(h, kit_pieces(t))
            for h, t in holders.items()
            if server.scalar("SELECT number FROM tool_kits WHERE holder_id = ?", h) is None
        ]
        if missing:
            kits.do_issue_kits(platform.uow(Actor.system("e2e-setup", "cli")), missing)
        numbers = [
            str(server.scalar("SELECT number FROM tool_kits WHERE holder_id = ?", h))
            for h in holders
        ]
        today = clock.business_day()
        kits.do_record_kit_tests(
            platform.uow(actor_from_username(platform, leader)),
            [
                kits.KitTestIn(n, f"E2E-R-{n}", today, {p: True for p in kit_pieces("x")})
                for n in numbers
            ],
        )
    finally:
        platform.dispose()


@pytest.mark.browser
def test_data_7_ops_6_reading_taken_offline_is_sealed_on_the_phone_and_stored(
    phone: BrowserContext, server: Server
) -> None:
    """The app's own sealing (vendored sm-crypto-v2, SM4-GCM, AAD = terminal | batch | send
    time) against the server's DATA-7 upload: a reading recorded offline on a reading
    order is sealed with the paired terminal's key, opened and stored server-side."""
    from safegrid.fieldwork import lifecycle, services
    from safegrid.fieldwork.models import WorkOrderKind
    from safegrid.security.actor import Actor
    from safegrid.security.cli_identity import actor_from_username
    from safegrid.terminals.schemas import TerminalCreate
    from safegrid.terminals.services import do_register_terminal

    today = clock.business_day()
    row = server.row(
        # The last register the upload's validation compares with: a register read or an
        # AMI daily register, whichever is higher (registers only grow).
        "SELECT s.username, s.id, s.org_unit_id, m.id, MAX("
        "COALESCE((SELECT MAX(total_register) FROM register_reads r WHERE r.meter_id = m.id), 0), "
        "COALESCE((SELECT MAX(register_kwh) FROM daily_readings d WHERE d.meter_id = m.id), 0)) "
        "FROM staff_accounts s JOIN reading_areas a ON a.reader_id = s.id "
        "JOIN meters m ON m.reading_area_id = a.id WHERE s.post = 'meter_reader' "
        "AND s.status = 'active' AND NOT EXISTS (SELECT 1 FROM register_reads r "
        "WHERE r.meter_id = m.id AND r.read_on >= ?) AND NOT EXISTS (SELECT 1 FROM "
        "daily_readings d WHERE d.meter_id = m.id AND d.day >= ?) ORDER BY m.id LIMIT 1",
        str(today),
        str(today),
    )
    assert row is not None, "the demo has a meter reader with a meter not yet read today"
    reader, reader_id, unit, meter_id, last_total = row
    leader = str(
        server.scalar(
            "SELECT s.username FROM staff_accounts s JOIN org_units u ON u.id = s.org_unit_id "
            "WHERE s.post = 'team_leader' AND (SELECT path FROM org_units WHERE id = ?) "
            "LIKE u.path || '%' ORDER BY length(u.path) DESC LIMIT 1",
            unit,
        )
    )
    _kit(server, leader, {int(reader_id): "E2ER"})  # type: ignore[call-overload]
    platform = _platform(server)
    try:
        creds = do_register_terminal(
            platform.uow(Actor.system("e2e-setup", "cli")),
            TerminalCreate(
                serial_no="E2E-FIELD-1", model="HT-1", org_unit_id=unit, reader_id=reader_id
            ),
        )
        now = clock.now()
        lead = actor_from_username(platform, leader)
        order_id = services.do_open_work_order(
            platform.uow(lead),
            services.NewWorkOrder(
                WorkOrderKind.READING,
                int(meter_id),  # type: ignore[call-overload]
                today,
                int(reader_id),  # type: ignore[call-overload]
                window_start=now - timedelta(hours=1),
                window_end=now + timedelta(hours=8),
            ),
        )
        lifecycle.do_dispatch(platform.uow(lead), [order_id])
    finally:
        platform.dispose()
    number = str(server.scalar("SELECT number FROM work_orders WHERE id = ?", order_id))

    page: Page = phone.new_page()
    page.goto("/field")
    page.fill("input[name=username]", str(reader))
    page.fill("input[name=password]", "SafeGrid@2026")
    page.fill("input[name=otp]", server.fresh_code(str(reader)))
    page.click("#signin-form button[type=submit]")
    expect(page.get_by_test_id("order-list")).to_contain_text(number)
    page.goto("/field#pair")
    page.fill("#pair-form input[name=code]", creds.terminal_id)
    page.fill("#pair-form input[name=secret]", creds.secret)
    page.fill("#pair-form input[name=key]", creds.upload_key)
    page.click("#pair-form button[type=submit]")

    total = Decimal(str(last_total or 0)) + Decimal("12.50")
    phone.set_offline(True)
    page.get_by_text(number).click()
    page.fill("#reading input[name=total]", str(total))
    page.click("#reading button[type=submit]")
    expect(page.get_by_test_id("queue")).to_contain_text("1")
    assert str(total) in page.evaluate("localStorage.getItem('sg.field.readings')")
    page.click("#back")
    phone.set_offline(False)
    page.get_by_test_id("sync").click()
    expect(page.get_by_test_id("queue")).to_contain_text("0")
    expect(page.locator("#refused")).not_to_contain_text("读数未被接受")
    stored = server.row(
        "SELECT read_on, total_register FROM register_reads WHERE meter_id = ? "
        "ORDER BY read_on DESC LIMIT 1",
        meter_id,
    )
    assert stored is not None and stored[0] == str(today), stored
    assert Decimal(str(stored[1])) == total
    assert (
        server.scalar(
            "SELECT u.readings FROM terminal_uploads u JOIN field_terminals t "
            "ON t.id = u.terminal_id WHERE t.code = ? AND u.reader_id = ?",
            creds.terminal_id,
            reader_id,
        )
        == 1
    )
