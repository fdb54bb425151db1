"""DATA-7: readings are encrypted before upload — the terminal's credentials and its meter
reader are both authenticated, the sealed batch is opened and recorded as the reader's,
within his reading areas (IAM-1); tampering, replay and revoked credentials are handled."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select, text

from safegrid.readings.models import RegisterRead
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from safegrid.terminals.models import Terminal, TerminalUpload
from tests.integration.terminals.conftest import Field


def _count(field: Field, model: type) -> int:
    with field.world.platform.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def _actions(field: Field, action: str) -> list[AuditEntry]:
    with field.world.platform.uow(field.world.system(), readonly=True) as uow:
        return list(
            uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        )


def test_data_7_register_then_encrypted_upload_recorded_under_the_reader(field: Field) -> None:
    creds = field.register()
    terminal = field.terminal(creds)
    result = terminal.upload([field.reading("12.50")], batch_id="batch-0001")
    assert result["readings"] == 1 and result["replayed"] is False
    with field.world.platform.engine.connect() as conn:
        read = conn.execute(select(RegisterRead.entered_by, RegisterRead.total_register)).one()
        upload = conn.execute(select(TerminalUpload.reader_username, TerminalUpload.batch_id)).one()
        seen = conn.scalar(select(Terminal.last_seen_at))
    assert read.entered_by == field.reader.username
    assert str(read.total_register) == "12.50"
    assert tuple(upload) == (field.reader.username, "batch-0001")
    assert seen is not None
    entry = _actions(field, "terminal.upload")[0]
    assert entry.actor_name == field.reader.username  # the reader, not the terminal


def test_data_7_secret_and_upload_key_shown_once_never_stored(field: Field) -> None:
    creds = field.register()
    raw_key = base64.b64decode(creds["upload_key"])
    with field.world.platform.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM field_terminals")).mappings().one()
        audit = " ".join(conn.scalars(text("SELECT body FROM audit_entries")).all())
    stored = " ".join(str(v) for v in row.values())
    assert creds["secret"] not in stored and creds["secret"] not in audit
    assert creds["upload_key"] not in stored and creds["upload_key"] not in audit
    assert raw_key.hex() not in stored
    detail = field.http.get(
        f"/api/terminals/{creds['terminal']['id']}", headers=field.admin_headers()
    )
    assert detail.status_code == 200
    assert "secret" not in detail.json() and "upload_key" not in detail.json()


@pytest.mark.parametrize("tamper", ["tag", "batch_id", "sent_at", "other_key"])
def test_data_7_tampered_batch_refused_logged_nothing_recorded(field: Field, tamper: str) -> None:
    creds = field.register()
    terminal = field.terminal(creds)
    body = terminal.seal([field.reading()], batch_id="batch-0002")
    if tamper == "tag":
        blob = bytearray(base64.b64decode(body["sealed"]))
        blob[-1] ^= 0x01
        body["sealed"] = base64.b64encode(bytes(blob)).decode()
    elif tamper == "batch_id":
        body["batch_id"] = "batch-0003"  # the AAD binds the batch id
    elif tamper == "sent_at":
        body["sent_at"] = "2026-11-15T01:00:00Z"  # the AAD binds the send time
    else:
        terminal.upload_key = bytes(16)
        body = terminal.seal([field.reading()], batch_id="batch-0002")
    terminal.http.headers["Accept-Language"] = "en"  # the English text names the GCM tag
    resp = terminal.upload_sealed(body)
    assert resp.status_code == 422
    assert resp.json()["field"] == "sealed"
    assert "GCM" in resp.json()["detail"]
    assert _count(field, RegisterRead) == 0 and _count(field, TerminalUpload) == 0
    refused = _actions(field, "terminal.upload_refused")
    assert len(refused) == 1 and refused[0].actor_name == field.reader.username
    assert field.reading()["total"] not in refused[0].body  # no plaintext in the log


def test_data_7_replayed_batch_is_idempotent(field: Field) -> None:
    terminal = field.terminal(field.register())
    body = terminal.seal([field.reading()], batch_id="batch-0004")
    first = terminal.upload_sealed(body)
    again = terminal.upload_sealed(body)
    assert first.status_code == again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["upload_id"] == first.json()["upload_id"]
    assert _count(field, RegisterRead) == 1 and _count(field, TerminalUpload) == 1
    assert len(_actions(field, "terminal.upload")) == 1
    # The same batch id re-sealed (fresh nonce) with the same readings: still a replay.
    resent = terminal.upload_sealed(terminal.seal([field.reading()], batch_id="batch-0004"))
    assert resent.json()["replayed"] is True
    # The same batch id for other readings is a conflict, not a silent overwrite.
    other = terminal.upload_sealed(terminal.seal([field.reading("99")], batch_id="batch-0004"))
    assert other.status_code == 409 and other.json()["field"] == "batch_id"
    assert _count(field, RegisterRead) == 1


def test_data_7_unknown_wrong_or_revoked_terminal_gets_401(field: Field) -> None:
    creds = field.register()
    terminal = field.terminal(creds)
    reading = [field.reading()]

    wrong = field.terminal({**creds, "secret": creds["secret"][:-2] + "xx"})
    assert wrong.upload_sealed(wrong.seal(reading)).status_code == 401
    unknown = field.terminal({**creds, "terminal_id": "FT-0000000000"})
    assert unknown.upload_sealed(unknown.seal(reading)).status_code == 401
    staff_only = field.http.post(
        "/api/terminals/uploads", json=terminal.seal(reading), headers=field.admin_headers()
    )
    assert staff_only.status_code == 401

    lost = field.http.post(
        f"/api/terminals/{creds['terminal']['id']}/lost",
        json={"reason": "遗失在现场"},
        headers=field.admin_headers(),
    )
    assert lost.status_code == 200
    assert terminal.upload_sealed(terminal.seal(reading)).status_code == 401
    assert _count(field, RegisterRead) == 0
    # The wrong secret and the revoked upload are on record against the terminal.
    assert len(_actions(field, "terminal.auth_refused")) == 2


def test_iam_1_reader_outside_his_areas_refused(field: Field) -> None:
    w = field.world
    elsewhere = field.asset_of(w.meter(w.customer("stationA"), w.reading_area("stationA")))
    terminal = field.terminal(field.register())
    resp = terminal.upload_sealed(
        terminal.seal([field.reading(), field.reading(asset_no=elsewhere)])
    )
    assert resp.status_code == 422
    assert resp.json()["field"] == "readings.1.asset_no"
    assert _count(field, RegisterRead) == 0 and _count(field, TerminalUpload) == 0


def test_data_7_only_the_assigned_reader_uploads(field: Field) -> None:
    other = field.world.staff(Post.METER_READER, "stationA")
    creds = field.register()
    stranger = field.terminal(creds, reader=other)
    assert stranger.upload_sealed(stranger.seal([field.reading()])).status_code == 403
    no_reader = field.terminal(creds)
    no_reader.reader_token = None
    assert no_reader.upload_sealed(no_reader.seal([field.reading()])).status_code == 401
    assert _count(field, RegisterRead) == 0


def test_data_7_future_send_time_and_bad_plaintext_refused(field: Field) -> None:
    from datetime import timedelta

    from safegrid.platform import clock

    terminal = field.terminal(field.register())
    ahead = terminal.seal([field.reading()], sent_at=clock.now() + timedelta(hours=1))
    resp = terminal.upload_sealed(ahead)
    assert resp.status_code == 422 and resp.json()["field"] == "sent_at"
    bad = terminal.upload_sealed(terminal.seal([{**field.reading(), "total": "-1"}]))
    assert bad.status_code == 422 and bad.json()["field"].startswith("readings.0")
    assert _count(field, RegisterRead) == 0
