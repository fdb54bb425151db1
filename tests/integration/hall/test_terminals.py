"""HALL-5: self-service terminals of any vendor register with their own credentials, send
heartbeats and report faults over HTTP; a fault or missed heartbeats send an SMS to the
configured phone through the notification channel; faults are queried, edited, handled
and closed. Bad input: a forged terminal and a heartbeat flood are refused, logged, and
change nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.hall import terminals
from safegrid.hall.models import HallTerminal, TerminalFault
from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.hall import Halls


def _setup(h: Halls) -> tuple[TestClient, TestClient, dict[str, str]]:
    hall_id = h.open("hallA")
    manager = h.world.staff(Post.HALL_MANAGER, "countyA")
    staff = TestClient(app_for(h.world.platform))
    staff.headers["Authorization"] = f"Bearer {h.world.token(manager)}"
    made = staff.post(
        "/api/hall/terminals",
        json={
            "hall_id": hall_id,
            "serial_no": "KX-2026-0001",
            "vendor": "科大讯飞",
            "model": "KX-700",
            "alert_phone": "13900001111",
        },
    )
    assert made.status_code == 201, made.text
    creds = made.json()
    device = TestClient(app_for(h.world.platform))
    device.headers["Authorization"] = f"Terminal {creds['code']}:{creds['secret']}"
    return staff, device, creds


def _count(h: Halls, what: object) -> int:
    with h.world.platform.engine.connect() as c:
        return int(c.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


def test_hall_5_heartbeats_faults_sms_and_handling(hall_world: Halls) -> None:
    h = hall_world
    staff, device, _ = _setup(h)
    assert device.post("/api/hall/device/heartbeat", json={}).json()["ok"] is True
    fault = device.post(
        "/api/hall/device/faults", json={"code": "PRINTER_JAM", "description": "打印机卡纸"}
    )
    assert fault.status_code == 201
    with h.world.platform.engine.connect() as c:
        sms = c.execute(select(Notification.recipient, Notification.body)).all()
    assert sms[0].recipient == "13900001111" and "打印机卡纸" in sms[0].body
    listed = staff.get("/api/hall/faults", params={"status": "open"}).json()
    assert [f["code"] for f in listed] == ["PRINTER_JAM"]
    fid = listed[0]["id"]
    for action, status in (("edit", "open"), ("handle", "handling"), ("close", "closed")):
        resp = staff.put(f"/api/hall/faults/{fid}", json={"action": action, "note": "已处理纸路"})
        assert resp.status_code == 200 and resp.json()["status"] == status
    again = staff.put(f"/api/hall/faults/{fid}", json={"action": "handle", "note": "再次"})
    assert again.status_code == 409


def test_hall_5_missed_heartbeats_raise_one_fault_and_sms(hall_world: Halls) -> None:
    h = hall_world
    _, device, _ = _setup(h)
    device.post("/api/hall/device/heartbeat", json={})
    uow = h.world.platform.uow
    assert terminals.do_flag_silent(uow(h.world.system())) == 0
    clock.current().advance(timedelta(minutes=4))  # type: ignore[attr-defined]
    assert terminals.do_flag_silent(uow(h.world.system())) == 1
    assert terminals.do_flag_silent(uow(h.world.system())) == 0  # once per silence
    assert _count(h, TerminalFault) == 1 and _count(h, Notification) == 1
    device.post("/api/hall/device/heartbeat", json={})
    with h.world.platform.engine.connect() as c:
        assert c.scalar(select(HallTerminal.silent_since)) is None


def test_hall_5_forged_terminal_and_heartbeat_flood_refused_logged_unchanged(
    hall_world: Halls, caplog: pytest.LogCaptureFixture
) -> None:
    h = hall_world
    _, device, creds = _setup(h)
    forged = TestClient(app_for(h.world.platform))
    before = _count(h, AuditEntry)
    with caplog.at_level(logging.WARNING):
        for header in (f"Terminal {creds['code']}:forged-secret", "Terminal HTNOPE:x", "Bearer x"):
            resp = forged.post(
                "/api/hall/device/heartbeat", json={}, headers={"Authorization": header}
            )
            assert resp.status_code == 401
    assert "refused credential" in caplog.text
    assert _count(h, AuditEntry) == before
    assert device.post("/api/hall/device/heartbeat", json={}).status_code == 200
    with h.world.platform.engine.connect() as c:
        first = c.scalar(select(HallTerminal.last_heartbeat_at))
    before = _count(h, AuditEntry)
    with caplog.at_level(logging.WARNING):
        flood = [device.post("/api/hall/device/heartbeat", json={}) for _ in range(5)]
    assert {r.status_code for r in flood} == {429}
    assert "flood" in caplog.text
    assert _count(h, AuditEntry) == before
    with h.world.platform.engine.connect() as c:
        assert c.scalar(select(HallTerminal.last_heartbeat_at)) == first
