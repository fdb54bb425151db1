"""AUD-1/AUD-2 and DATA-5 (issue 13): the audit log is searched by person, action, object,
unit and time range inside the auditor's scope, and a searched view leaves only as a
watermarked, recorded, audited file."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.datause import watermark
from safegrid.datause.exports import _key
from safegrid.datause.models import ExportRecord
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.world import Staff, World


def _client(world: World, staff: Staff) -> TestClient:
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))
    client.cookies.set(LANG_COOKIE, "zh")
    return client


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<td class="num mono">(\d+)</td>', html)]


def test_aud_1_search_by_action_object_unit_person_and_time(world: World) -> None:
    inside = world.customer("stationA")
    world.customer("stationB")  # another county's: never in a countyA auditor's results
    auditor = world.staff(Post.AUDITOR, "countyA")
    client = _client(world, auditor)
    with world.platform.engine.connect() as conn:
        registered = conn.execute(
            select(AuditEntry.seq, AuditEntry.org_unit_id).where(
                AuditEntry.action == "customer.register"
            )
        ).all()
    mine = [seq for seq, unit in registered if unit == world.units["stationA"]]
    assert len(registered) == 2 and len(mine) == 1

    assert _seqs(client.get("/audit", params={"action": "customer.register"}).text) == mine
    assert _seqs(client.get("/audit", params={"action": "customer."}).text) == mine
    by_object = client.get("/audit", params={"object_type": "customer", "object_id": inside})
    assert _seqs(by_object.text) == mine
    assert _seqs(client.get("/audit", params={"unit_id": world.units["hallA"]}).text) == []
    assert mine[0] in _seqs(client.get("/audit", params={"unit_id": world.units["countyA"]}).text)
    assert _seqs(client.get("/audit", params={"who": "nobody.at.all"}).text) == []
    old = client.get("/audit", params={"action": "customer.register", "date_to": "2020-01-01"})
    assert _seqs(old.text) == []
    bad = client.get("/audit", params={"date_from": "yesterday"})
    assert bad.status_code == 422 and "has-error" in bad.text


def test_data_5_a_searched_view_leaves_watermarked_and_recorded(world: World) -> None:
    world.customer("stationA")
    auditor = world.staff(Post.AUDITOR, "countyA")
    client = _client(world, auditor)
    page = client.get("/audit", params={"action": "customer.register"})
    assert 'data-testid="audit-export"' in page.text
    done = client.post("/audit/export", data={"action": "customer.register"})
    assert done.status_code == 200
    text = done.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("# ") and auditor.username in lines[0]
    assert sum(1 for line in lines if ",customer.register," in line) == 1
    payload = watermark.verify(_key(), watermark.read_token(done.content))
    with world.platform.engine.connect() as conn:
        record = conn.execute(select(ExportRecord).where(ExportRecord.dataset == "audit")).one()
        body = conn.scalar(select(AuditEntry.body).where(AuditEntry.action == "datause.export"))
    assert payload["export_id"] == record.id and record.row_count == 1
    assert body is not None
    assert json.loads(body)["after"]["query"] == {"action": "customer.register"}
    # Only posts that read the audit log may take it away.
    cashier = _client(world, world.staff(Post.CASHIER, "countyA"))
    assert cashier.post("/audit/export", data={}).status_code == 403
