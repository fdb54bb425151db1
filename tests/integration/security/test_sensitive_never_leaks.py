"""A known customer's sensitive values never leave in clear: not in the database file or a
dump (DATA-2), not through the API, console, CLI or audit before/after (DATA-3)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from safegrid.cli import app
from safegrid.customers.models import Account
from safegrid.customers.schemas import DirectDebitUpdate
from safegrid.customers.services import do_set_direct_debit
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World

ID_NUMBER = "330183199003072514"
MOBILE = "13957124680"
ADDRESS = "浙江省杭州市富阳区富春街道江滨西路77号3幢502室"
HOUSE = "77号3幢502室"
BANK = "6222021203004567891"
NAME = "钱塘江畔"  # not sensitive: proves the grep sees the data at all


def _known_customer(world: World) -> tuple[int, int]:
    cid = world.customer("stationA", name=NAME, id_number=ID_NUMBER, mobile=MOBILE, address=ADDRESS)
    world.meter(cid, world.reading_area("stationA"))
    with world.platform.engine.connect() as conn:
        account_id = conn.scalar(select(Account.id).where(Account.customer_id == cid))
    assert account_id is not None
    do_set_direct_debit(
        world.platform.uow(world.system()),
        account_id,
        DirectDebitUpdate(bank_name="中国工商银行", bank_account=BANK),
    )
    return cid, account_id


def _assert_clean(blob: str | bytes, where: str) -> None:
    for secret in (ID_NUMBER, MOBILE, HOUSE, BANK, ADDRESS):
        needle = secret.encode() if isinstance(blob, bytes) else secret
        assert needle not in blob, f"{secret} leaked through {where}"


def test_data_2_database_file_and_dump_hold_no_sensitive_value(world: World) -> None:
    _known_customer(world)
    p = world.platform
    if p.settings.is_sqlite:
        with p.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db = Path(make_url(p.settings.database_url).database or "")
        files = [f for f in (db, db.with_name(db.name + "-wal")) if f.exists()]
        assert files and files[0].stat().st_size > 0
        blobs = [f.read_bytes() for f in files]
        assert any(NAME.encode() in b for b in blobs)
        for f, blob in zip(files, blobs, strict=True):
            _assert_clean(blob, f.name)
        return
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump not installed")
    url = make_url(p.settings.database_url)
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    args = [pg_dump, "--data-only", "-h", url.host or "localhost", "-p", str(url.port or 5432)]
    args += ["-U", url.username or "postgres", url.database or ""]
    dump = subprocess.run(args, env=env, capture_output=True, check=True, timeout=120).stdout
    assert NAME.encode() in dump
    _assert_clean(dump, "pg_dump")


def test_data_3_api_console_cli_and_audit_show_masked_values(world: World) -> None:
    cid, _ = _known_customer(world)
    agent = world.staff(Post.HALL_AGENT, "countyA")
    client = TestClient(app_for(world.platform))
    api = client.get(
        f"/api/customers/{cid}", headers={"Authorization": f"Bearer {world.token(agent)}"}
    )
    assert api.status_code == 200
    _assert_clean(api.text, "API")
    body = api.json()
    assert body["id_number"] == "3301************14" and body["mobile"] == "139****4680"
    assert body["address"] == "浙江省杭州市富阳区富春街道江滨西路***"
    assert body["accounts"][0]["bank_account"] == "*" * 15 + "7891"

    page = client.get(
        f"/customers/{cid}", headers={"Cookie": f"sg_session={world.token(agent, 'console')}"}
    )
    assert page.status_code == 200 and "7891" in page.text
    _assert_clean(page.text, "console")

    shown = CliRunner().invoke(app, ["customers", "show", str(cid), "--as", agent.username])
    assert shown.exit_code == 0, shown.output
    _assert_clean(shown.output, "CLI")

    with world.platform.uow(world.system(), readonly=True) as uow:
        entries = uow.session.scalars(select(AuditEntry)).all()
    assert {"customer.register", "account.direct_debit"} <= {e.action for e in entries}
    for e in entries:
        _assert_clean(json.dumps([e.before, e.after], ensure_ascii=False), f"audit {e.action}")
    with world.platform.engine.connect() as conn:
        raw_audit = conn.execute(text("SELECT * FROM audit_entries")).all()
    _assert_clean(repr(raw_audit), "audit table")
