"""DATA-7: a lost terminal can be remotely wiped — its credentials revoked at once and a
wipe command queued, delivered, acknowledged; the unit's managers are told (AUD-3 channel).
Registration is a system administrator's, within his region."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.security.models import AuditEntry, StaffAccount
from safegrid.security.policy import Post
from tests.integration.terminals.conftest import Field


def _audit(field: Field, action: str) -> list[AuditEntry]:
    with field.world.platform.uow(field.world.system(), readonly=True) as uow:
        return list(
            uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        )


def test_data_7_lost_terminal_wipe_delivered_once_and_acknowledged(field: Field) -> None:
    leader = field.world.staff(Post.TEAM_LEADER, "stationA")
    with field.world.platform.engine.begin() as conn:
        conn.execute(
            update(StaffAccount).where(StaffAccount.id == leader.id).values(mobile="13800001234")
        )
    creds = field.register()
    terminal = field.terminal(creds)
    tid = creds["terminal"]["id"]
    assert terminal.poll().json() == []  # an active terminal: nothing queued

    lost = field.http.post(
        f"/api/terminals/{tid}/lost", json={"reason": "巡检途中遗失"}, headers=field.admin_headers()
    )
    assert lost.status_code == 200 and lost.json()["status"] == "lost"
    assert lost.json()["credentials_revoked_at"] is not None

    clock_ = clock.FixedClock(clock.now() + timedelta(minutes=5))
    clock.set_clock(clock_)
    first = terminal.poll()
    assert first.status_code == 200
    [command] = first.json()
    assert command["kind"] == "wipe"
    clock_.advance(timedelta(minutes=5))
    again = terminal.poll()  # not yet acknowledged: handed out again, delivery kept once
    assert [c["id"] for c in again.json()] == [command["id"]]
    assert len(_audit(field, "terminal.command_delivered")) == 1

    clock_.advance(timedelta(minutes=1))
    assert terminal.acknowledge(command["id"]).status_code == 200
    detail = field.http.get(f"/api/terminals/{tid}", headers=field.admin_headers()).json()
    assert detail["status"] == "wiped" and detail["wiped_at"] is not None
    [shown] = detail["commands"]
    assert shown["status"] == "acknowledged"
    assert shown["queued_at"] < shown["delivered_at"] < shown["acknowledged_at"]

    # Wiped: the credentials open nothing any more, not even the command queue.
    assert terminal.poll().status_code == 401
    assert terminal.acknowledge(command["id"]).status_code == 401

    with field.world.platform.engine.connect() as conn:
        sms = conn.execute(select(Notification)).all()
    assert len(sms) == 1 and sms[0].recipient == "13800001234" and "FT-" in sms[0].body
    marked = _audit(field, "terminal.mark_lost")[0]
    assert leader.username in (marked.after or {})["managers_told"]
    assert _audit(field, "terminal.command_acknowledged")[0].actor_name.startswith("terminal:")


def test_data_7_wipe_command_is_the_only_thing_a_lost_terminal_reaches(field: Field) -> None:
    creds = field.register()
    terminal = field.terminal(creds)
    tid = creds["terminal"]["id"]
    field.http.post(
        f"/api/terminals/{tid}/lost", json={"reason": "被盗"}, headers=field.admin_headers()
    )
    assert terminal.upload_sealed(terminal.seal([field.reading()])).status_code == 401
    assert terminal.acknowledge(999999).status_code == 404  # another terminal's / none
    handled = terminal.obey()
    assert [c["kind"] for c in handled] == ["wipe"] and terminal.wiped
    again = field.http.post(
        f"/api/terminals/{tid}/lost", json={"reason": "再次"}, headers=field.admin_headers()
    )
    assert again.status_code == 409


def test_data_7_registration_checks_reader_unit_and_serial(field: Field) -> None:
    w = field.world
    base = {"serial_no": "SN-DUP-1", "model": "HT-800", "org_unit_id": w.units["stationA"]}
    cashier = w.staff(Post.CASHIER, "stationA")
    far_reader = w.staff(Post.METER_READER, "stationB")
    h = field.admin_headers()
    not_reader = field.http.post(
        "/api/terminals", json={**base, "reader_id": cashier.id}, headers=h
    )
    assert not_reader.status_code == 422 and not_reader.json()["field"] == "reader_id"
    foreign = field.http.post(
        "/api/terminals", json={**base, "reader_id": far_reader.id}, headers=h
    )
    assert foreign.status_code == 422 and foreign.json()["field"] == "reader_id"
    other_unit = field.http.post(
        "/api/terminals",
        json={**base, "org_unit_id": w.units["stationB"], "reader_id": field.reader.id},
        headers=h,
    )
    assert other_unit.status_code == 422 and other_unit.json()["field"] == "org_unit_id"
    field.register(serial="SN-DUP-1")
    dup = field.http.post("/api/terminals", json={**base, "reader_id": field.reader.id}, headers=h)
    assert dup.status_code == 409 and dup.json()["field"] == "serial_no"
    assert len(_audit(field, "terminal.register")) == 1


def test_data_7_registry_is_scoped_to_the_region(field: Field) -> None:
    creds = field.register()
    outsider = field.world.staff(Post.SYSTEM_ADMIN, "countyB")
    h = {"Authorization": f"Bearer {field.world.token(outsider)}"}
    assert field.http.get("/api/terminals", headers=h).json()["total"] == 0
    tid = creds["terminal"]["id"]
    assert field.http.get(f"/api/terminals/{tid}", headers=h).status_code == 404
    lost = field.http.post(f"/api/terminals/{tid}/lost", json={"reason": "x" * 3}, headers=h)
    assert lost.status_code == 404
    leader = field.world.staff(Post.TEAM_LEADER, "countyA")
    h = {"Authorization": f"Bearer {field.world.token(leader)}"}
    assert field.http.get("/api/terminals", headers=h).json()["total"] == 1
    assert (
        field.http.post(f"/api/terminals/{tid}/lost", json={"reason": "xyz"}, headers=h).status_code
        == 403
    )
