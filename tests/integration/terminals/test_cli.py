"""DATA-7 from the command line: register (credentials printed once), list, mark lost —
as a named staff account, audited with channel ``cli``."""

from __future__ import annotations

import base64
import json
from typing import Any

import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from safegrid.cli import app
from safegrid.platform import clock
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.world import PASSWORD
from tests.integration.terminals.conftest import Field

runner = CliRunner()


def test_data_7_cli_register_list_and_mark_lost(field: Field) -> None:
    w = field.world
    result = runner.invoke(app, [
        "terminals", "register", "--as", field.admin.username, "--serial-no", "SN-CLI-1",
        "--model", "HT-800", "--reader", field.reader.username,
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    creds = json.loads(result.stdout)
    assert creds["terminal_id"].startswith("FT-") and len(creds["secret"]) >= 40
    listed = runner.invoke(app, ["terminals", "list", "--as", field.admin.username])
    assert listed.exit_code == 0 and creds["terminal_id"] in listed.output
    lost = runner.invoke(app, [
        "terminals", "mark-lost", str(creds["id"]), "--reason", "遗失", "--as", field.admin.username,
    ])  # fmt: skip
    assert lost.exit_code == 0 and "wipe command queued" in lost.output
    with w.platform.uow(w.system(), readonly=True) as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "terminal.mark_lost")
        ).one()
    assert entry.channel == "cli" and entry.actor_name == field.admin.username


def test_data_7_cli_refuses_staff_without_the_permission(field: Field) -> None:
    leader = field.world.staff(Post.TEAM_LEADER, "countyA")
    result = runner.invoke(app, [
        "terminals", "register", "--as", leader.username, "--serial-no", "SN-CLI-2",
        "--model", "HT-800", "--org-unit-id", "1", "--reader-id", str(field.reader.id),
    ])  # fmt: skip
    assert result.exit_code == 1 and "terminals.manage" in result.output


def test_data_7_simulator_uploads_sealed_then_obeys_the_wipe(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safegrid.terminals import cli as terminals_cli
    from safegrid.terminals.client import TerminalClient

    creds = field.register()

    def _connect(server: str, tid: str, secret: str, key: str, timeout: float = 30) -> Any:
        return TerminalClient(field.http, tid, secret, base64.b64decode(key))

    monkeypatch.setattr(terminals_cli.TerminalClient, "connect", staticmethod(_connect))
    args = [
        "terminals", "simulate", "--terminal-id", creds["terminal_id"],
        "--secret", creds["secret"], "--key", creds["upload_key"],
        "--reader", field.reader.username, "--password", PASSWORD, "--otp", pyotp.TOTP(field.reader.totp_secret).at(clock.now()),
        "--reading", f"{field.asset_no}=15.00",
    ]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "upload → 200" in first.output and "no command pending" in first.output
    field.http.post(
        f"/api/terminals/{creds['terminal']['id']}/lost",
        json={"reason": "演示"},
        headers=field.admin_headers(),
    )
    wiped = runner.invoke(app, args[:8])  # no readings: poll only
    assert wiped.exit_code == 0, wiped.output
    assert "wipe: carried out and acknowledged" in wiped.output
