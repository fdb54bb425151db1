"""DATA-5: exports are masked unless an approved export request covers a field, rate-limited
per user (429 + Retry-After), watermarked visibly and with a signed token that
``safegrid export trace`` reads back; a forged watermark is refused and logged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from safegrid.cli import app as cli_app
from safegrid.customers.models import Customer
from safegrid.datause import exports
from safegrid.datause.models import AccessLog, ExportRecord
from safegrid.datause.rate_limit import RateLimitedError
from safegrid.datause.reveal import RevealRefusedError
from safegrid.datause.schemas import ExportCreate
from safegrid.datause.settings import get_datause_settings
from safegrid.platform import clock
from safegrid.security.masking import mask
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.datause import granted
from tests.fixtures.world import World

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
runner = CliRunner()


def _ids(world: World, *customers: int) -> dict[int, str]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return {c: str(uow.session.get_one(Customer, c).id_number) for c in customers}


def _csv_rows(content: bytes) -> list[list[str]]:
    lines = content.decode("utf-8-sig").splitlines()
    return list(csv.reader(io.StringIO("\n".join(lines[1:-1]))))


def _last_action(world: World) -> AuditEntry:
    with world.platform.uow(world.system(), readonly=True) as uow:
        entry = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert entry is not None
        return entry


def test_data_5_export_is_masked_and_watermarked(world: World) -> None:
    clock.set_clock(clock.FixedClock(T0))
    manager = world.staff(Post.HALL_MANAGER, "hallA")
    mine, foreign = world.customer("hallA"), world.customer("hallB")
    file = exports.do_export_customers(world.platform.uow(world.actor(manager)), ExportCreate())
    text = file.content.decode("utf-8-sig")
    first, last = text.splitlines()[0], text.splitlines()[-1]
    assert (
        manager.username in first and f"ID {manager.id}" in first and "2026-03-02 09:00:00" in first
    )
    assert last.startswith("# safegrid-watermark: ")
    rows = _csv_rows(file.content)
    assert len(rows) == 2  # header + the one customer of the manager's hall
    ids = _ids(world, mine, foreign)
    assert rows[1][3] == mask("id_number", ids[mine]) and ids[mine] not in text
    assert ids[foreign] not in text
    with world.platform.uow(world.system(), readonly=True) as uow:
        record = uow.session.get_one(ExportRecord, file.record.id)
        assert record.row_count == 1 and record.operator_id == manager.id
        assert record.sha256 == file.record.sha256 and record.request_id is None
        assert uow.session.scalars(select(AccessLog)).first() is None


def test_data_5_unmasked_export_needs_approved_export_request(world: World) -> None:
    manager = world.staff(Post.HALL_MANAGER, "hallA")
    customer = world.customer("hallA")
    view_grant = granted(world, manager, customer_ids=[customer])
    assert view_grant
    # A view grant does not unmask an export.
    plain = exports.do_export_customers(world.platform.uow(world.actor(manager)), ExportCreate())
    assert _ids(world, customer)[customer] not in plain.content.decode("utf-8-sig")
    from tests.fixtures.datause import approve, file_request

    request_id = file_request(world, manager, customer_ids=[customer], kind="export")
    approve(world, request_id)
    file = exports.do_export_customers(
        world.platform.uow(world.actor(manager)), ExportCreate(format="xlsx", request_id=request_id)
    )
    wb = load_workbook(io.BytesIO(file.content))
    ws = wb.active
    assert ws is not None
    assert manager.username in str(ws["A1"].value) and str(request_id) in str(ws["A1"].value)
    assert manager.username in ws.oddHeader.center.text
    assert ws.cell(row=3, column=4).value == _ids(world, customer)[customer]
    assert any(p.name == "safegrid_watermark" for p in wb.custom_doc_props.props)
    with world.platform.uow(world.system(), readonly=True) as uow:
        [log] = uow.session.scalars(select(AccessLog)).all()
    assert (log.customer_id, log.field, log.export_id) == (customer, "id_number", file.record.id)
    # Someone else's export request is refused.
    other = world.staff(Post.HALL_MANAGER, "hallA")
    with pytest.raises(RevealRefusedError):
        exports.do_export_customers(
            world.platform.uow(world.actor(other)), ExportCreate(request_id=request_id)
        )


def test_data_5_expired_export_grant_refused(world: World) -> None:
    fixed = clock.FixedClock(T0)
    clock.set_clock(fixed)
    manager = world.staff(Post.HALL_MANAGER, "hallA")
    customer = world.customer("hallA")
    from tests.fixtures.datause import approve, file_request

    request_id = file_request(world, manager, customer_ids=[customer], kind="export", days=1)
    approve(world, request_id)
    fixed.advance(timedelta(days=1, seconds=1))
    with pytest.raises(RevealRefusedError, match="not valid now"):
        exports.do_export_customers(
            world.platform.uow(world.actor(manager)), ExportCreate(request_id=request_id)
        )


def test_data_5_rate_limit_answers_429_with_retry_after(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed = clock.FixedClock(T0)
    clock.set_clock(fixed)
    monkeypatch.setattr(get_datause_settings(), "exports_per_hour", 2)
    manager = world.staff(Post.HALL_MANAGER, "hallA")
    client = TestClient(app_for(world.platform))
    headers = {"Authorization": f"Bearer {world.token(manager)}"}
    assert client.post("/api/datause/exports", json={}, headers=headers).status_code == 200
    fixed.advance(timedelta(minutes=10))
    assert client.post("/api/datause/exports", json={}, headers=headers).status_code == 200
    fixed.advance(timedelta(minutes=5))
    limited = client.post(
        "/api/datause/exports", json={}, headers={**headers, "Accept-Language": "en"}
    )
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == str(45 * 60)
    assert "retry after 10:00:00" in limited.json()["detail"]  # 01:00 UTC + 1 h, Beijing
    assert _last_action(world).action == "datause.rate_limited"
    # Another user has his own budget; the first one's frees up as the window slides.
    other = world.staff(Post.HALL_MANAGER, "hallA")
    assert (
        client.post(
            "/api/datause/exports",
            json={},
            headers={"Authorization": f"Bearer {world.token(other)}"},
        ).status_code
        == 200
    )
    fixed.advance(timedelta(minutes=46))  # the first export left the window
    actor = world.actor(manager)
    exports.do_export_customers(world.platform.uow(actor), ExportCreate())
    with pytest.raises(RateLimitedError):
        exports.do_export_customers(world.platform.uow(actor), ExportCreate())


def _export_to(world: World, tmp_path: Path, name: str) -> tuple[Path, str]:
    manager = world.staff(Post.HALL_MANAGER, "hallA")
    world.customer("hallA")
    file = exports.do_export_customers(
        world.platform.uow(world.actor(manager)),
        ExportCreate(format="xlsx" if name.endswith("xlsx") else "csv"),
    )
    path = tmp_path / name
    path.write_bytes(file.content)
    return path, manager.username


@pytest.mark.parametrize("name", ["out.csv", "out.xlsx"])
def test_data_5_trace_reads_the_watermark_back(world: World, tmp_path: Path, name: str) -> None:
    path, operator = _export_to(world, tmp_path, name)
    dso = world.staff(Post.DATA_SECURITY_OFFICER, "prov")
    result = runner.invoke(cli_app, ["export", "trace", str(path), "--as", dso.username])
    assert result.exit_code == 0, result.output
    assert operator in result.output and "identical" in result.output
    assert _last_action(world).action == "datause.trace"


def test_data_5_forged_watermark_refused_and_logged(world: World, tmp_path: Path) -> None:
    path, _ = _export_to(world, tmp_path, "out.csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    encoded, signature = lines[-1].rsplit(".", 1)
    # Claim someone else exported it: re-encode the payload, keep the old signature.
    import base64
    import json

    body = json.loads(base64.urlsafe_b64decode(encoded.split(": ", 1)[1] + "=="))
    body["operator"] = "scapegoat"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    path.write_text("\n".join([*lines[:-1], f"# safegrid-watermark: {forged}.{signature}"]) + "\n")
    dso = world.staff(Post.DATA_SECURITY_OFFICER, "prov")
    result = runner.invoke(cli_app, ["export", "trace", str(path), "--as", dso.username])
    said = " ".join(result.output.split())  # Rich wraps long lines
    assert result.exit_code == 1
    assert "forged or altered" in said and "scapegoat" not in said
    entry = _last_action(world)
    assert entry.action == "datause.trace_failed" and entry.actor_name == dso.username
    # A file with no watermark at all.
    path.write_text("a,b\n1,2\n")
    result = runner.invoke(cli_app, ["export", "trace", str(path), "--as", dso.username])
    assert result.exit_code == 1 and "no watermark" in " ".join(result.output.split())


def test_data_5_trace_reports_content_changed(world: World, tmp_path: Path) -> None:
    path, _ = _export_to(world, tmp_path, "out.csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join([lines[0], lines[1], *lines[-1:]]) + "\n")  # rows cut out
    dso = world.staff(Post.DATA_SECURITY_OFFICER, "prov")
    result = runner.invoke(cli_app, ["export", "trace", str(path), "--as", dso.username])
    assert result.exit_code == 3 and "changed" in " ".join(result.output.split())
