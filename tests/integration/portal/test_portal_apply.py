"""HALL-6 / HALL-10: 业扩 from the portal, on the applications domain's own services: the
form pre-filled from the archive of a bound account, documents checked by content (an
upload that is not the type it claims is refused and nothing is stored), tracking, and
supplying what the hall asked for. Someone else's account cannot even be opened."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.applications import services
from safegrid.applications.models import ApplicationStatus, BusinessApplication
from safegrid.applications.schemas import RequestMore
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.portal import account_of, last_code, new_mobile
from tests.fixtures.world import World

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _applications(world: World) -> int:
    with world.platform.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(BusinessApplication)) or 0)


def test_hall_6_apply_from_the_portal_prefilled_checked_and_tracked(world: World) -> None:
    number, name = account_of(world, "stationA")
    other, _ = account_of(world, "stationA")
    client = TestClient(app_for(world.platform), client=("10.8.1.1", 50000))
    mobile = new_mobile()
    client.post("/portal/login/code", data={"mobile": mobile})
    client.post("/portal/login", data={"mobile": mobile, "code": last_code(world)})
    client.post("/portal/accounts", data={"account_no": number, "proof": name})

    assert f"/portal/apply/new?account_no={number}" in client.get("/portal/apply").text
    form = client.get(f"/portal/apply/new?account_no={number}")
    assert form.status_code == 200 and name in form.text and "apply-prefill" in form.text
    # Someone else's account: refused before any form is shown.
    assert client.get(f"/portal/apply/new?account_no={other}").status_code == 403

    fields = {"account_no": number, "kind": "lv_new", "capacity_kva": "8"}
    # A PDF sent as the identity photo's JPEG: refused, nothing stored.
    lying = client.post(
        "/portal/apply",
        data=fields,
        files={
            "identity": ("身份证.jpg", PDF, "image/jpeg"),
            "property": ("房产证.pdf", PDF, "application/pdf"),
        },
    )
    assert lying.status_code == 422 and _applications(world) == 0
    done = client.post(
        "/portal/apply",
        data=fields,
        files={
            "identity": ("身份证.jpg", JPEG, "image/jpeg"),
            "property": ("房产证.pdf", PDF, "application/pdf"),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:500]
    found = re.fullmatch(r"/portal/apply/(\d+)", done.headers["location"])
    assert found
    app_id = int(found.group(1))
    page = client.get(done.headers["location"])
    assert 'data-status="submitted"' in page.text and "房产证.pdf" in page.text

    # The hall asks for more; the customer supplies it from the portal.
    agent = world.actor(world.staff(Post.HALL_AGENT, "hallA"))
    services.do_request_more(world.platform.uow(agent), app_id, RequestMore(missing="用电设备清单"))
    asked = client.get(f"/portal/apply/{app_id}")
    assert 'data-status="more_requested"' in asked.text and "用电设备清单" in asked.text
    supplied = client.post(
        f"/portal/apply/{app_id}/supply",
        data={"note": "已补充"},
        files={"load_list": ("清单.pdf", PDF + b"% loads\n", "application/pdf")},
        follow_redirects=False,
    )
    assert supplied.status_code == 303
    with world.platform.engine.connect() as conn:
        status = conn.scalar(select(BusinessApplication.status))
    assert status == ApplicationStatus.SUBMITTED
    # Another portal customer cannot see it.
    stranger = TestClient(app_for(world.platform), client=("10.8.1.2", 50000))
    second = new_mobile()
    stranger.post("/portal/login/code", data={"mobile": second})
    stranger.post("/portal/login", data={"mobile": second, "code": last_code(world)})
    assert stranger.get(f"/portal/apply/{app_id}").status_code == 404
