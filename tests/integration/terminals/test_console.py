"""DATA-7 console pages: register a terminal (credentials shown once), the registry, a
terminal's commands and uploads, mark lost & wipe — in Chinese and English."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.integration.terminals.conftest import Field


def _console(field: Field, post: Post = Post.SYSTEM_ADMIN) -> TestClient:
    client = TestClient(app_for(field.world.platform))
    staff = field.admin if post == Post.SYSTEM_ADMIN else field.world.staff(post, "countyA")
    client.cookies.set(SESSION_COOKIE, field.world.token(staff, "console"))
    return client


def test_data_7_console_register_list_detail_and_wipe(field: Field) -> None:
    client = _console(field)
    form = client.get("/terminals/new")
    assert form.status_code == 200 and field.reader.username in form.text
    bad = client.post(
        "/terminals/new",
        data={"serial_no": "", "model": "HT-800", "org_unit_id": "1", "reader_id": ""},
    )
    assert bad.status_code == 422 and 'id="serial_no-error"' in bad.text
    page = client.post(
        "/terminals/new",
        data={
            "serial_no": "SN-CONSOLE-1",
            "model": "HT-800",
            "org_unit_id": str(field.world.units["stationA"]),
            "reader_id": str(field.reader.id),
        },
    )
    assert page.status_code == 201
    assert "只显示这一次" in page.text
    code = re.search(r'id="terminal-id">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="terminal-secret">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]
    assert page.headers["cache-control"] == "no-store"

    listing = client.get("/terminals")
    assert listing.status_code == 200 and code in listing.text and "现场终端" in listing.text
    tid = int(re.search(r'href="/terminals/(\d+)"', listing.text).group(1))  # type: ignore[union-attr]
    detail = client.get(f"/terminals/{tid}")
    assert "挂失并远程擦除" in detail.text and secret not in detail.text  # shown once only

    lost = client.post(f"/terminals/{tid}/lost", data={"reason": "遗失"}, follow_redirects=False)
    assert lost.status_code == 303 and lost.headers["location"] == f"/terminals/{tid}"
    client.cookies.set(LANG_COOKIE, "en")
    after = client.get(f"/terminals/{tid}")
    assert "Lost" in after.text and "Wipe" in after.text and "Queued" in after.text
    again = client.post(f"/terminals/{tid}/lost", data={"reason": "again"})
    assert again.status_code == 409


def test_data_7_team_leader_sees_the_registry_but_cannot_register(field: Field) -> None:
    field.register()
    client = _console(field, Post.TEAM_LEADER)
    listing = client.get("/terminals")
    assert listing.status_code == 200 and "HT-800" in listing.text
    assert 'href="/terminals/new"' not in listing.text
    assert client.get("/terminals/new").status_code == 403
