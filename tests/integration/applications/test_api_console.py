"""HALL-6 over HTTP: a hall agent files an application through the API (multipart, bearer)
with a forged document refused by name (nothing stored), then decides it in the console
(list with the overdue filter, detail with documents and history, ask for more); the
menu and the to-do home show the work. Routes are in the permission matrix too."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.app import create_app
from safegrid.applications.models import BusinessApplication
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.integration.applications.support import JPEG, PDF, PNG, Applying


def test_hall_6_api_submit_and_console_decision(applying: Applying) -> None:
    a = applying
    w = a.world
    agent = w.staff(Post.HALL_AGENT, "countyA")
    asgi = create_app(w.platform)
    api = TestClient(asgi)
    bearer = {"Authorization": f"Bearer {w.token(agent)}", "Accept-Language": "en"}
    form = api.get(f"/api/applications/form?account_no={a.account_no}", headers=bearer)
    assert form.status_code == 200 and form.json()["current_capacity_kva"] == "8.00"
    fields = {"account_no": a.account_no, "kind": "lv_new", "capacity_kva": "10"}
    forged = api.post(
        "/api/applications",
        headers=bearer,
        data=fields,
        files={
            "identity": ("id.jpg", JPEG, "image/jpeg"),
            "property": ("deed.pdf", PNG, "application/pdf"),
        },
    )
    assert forged.status_code == 422, forged.text
    assert "deed.pdf" in forged.json()["detail"] and "PNG" in forged.json()["detail"]
    with w.platform.engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(BusinessApplication)) == 0
    made = api.post(
        "/api/applications",
        headers=bearer,
        data=fields,
        files={
            "identity": ("id.jpg", JPEG, "image/jpeg"),
            "property": ("deed.pdf", PDF, "application/pdf"),
        },
    )
    assert made.status_code == 201, made.text
    filed = made.json()
    assert filed["status"] == "submitted" and filed["channel"] == "api"
    detail = api.get(f"/api/applications/{filed['id']}", headers=bearer).json()
    doc_id = detail["documents"][1]["id"]
    got = api.get(f"/api/applications/documents/{doc_id}", headers=bearer)
    assert got.content == PDF and got.headers["content-type"] == "application/pdf"
    # Traceable per customer in the hall event store, as the feed hands it out (HALL-8).
    trace = api.get(f"/api/hall/customers/{filed['customer_id']}/events", headers=bearer).json()
    assert [e["kind"] for e in trace] == ["application_submitted"]
    assert trace[0]["payload"]["number"] == filed["number"]

    console = TestClient(asgi)
    console.cookies.set(SESSION_COOKIE, w.token(agent, "console"))
    home = console.get("/").text
    assert 'data-todo="applications.to_handle"' in home and 'href="/applications"' in home
    listed = console.get("/applications?status=submitted").text
    assert filed["number"] in listed
    assert filed["number"] not in console.get("/applications?overdue=1").text
    page = console.get(f"/applications/{filed['id']}").text
    assert "deed.pdf" in page and 'id="application-ask"' in page
    bad = console.post(f"/applications/{filed['id']}/request-more", data={"missing": ""})
    assert bad.status_code == 422
    asked = console.post(
        f"/applications/{filed['id']}/request-more",
        data={"missing": "房产证原件照片", "working_days": "3"},
        follow_redirects=True,
    )
    assert asked.status_code == 200 and "房产证原件照片" in asked.text
    assert 'id="application-ask"' not in asked.text  # asked once; now reject is left
    outsider = TestClient(asgi)
    outsider.cookies.set(SESSION_COOKIE, w.token(w.staff(Post.HALL_AGENT, "countyB"), "console"))
    assert outsider.get(f"/applications/{filed['id']}").status_code == 404


def test_hall_6_counter_files_for_the_customer_and_takes_in_what_was_missing(
    applying: Applying,
) -> None:
    a = applying
    w = a.world
    console = TestClient(app_for(w.platform))
    console.cookies.set(SESSION_COOKIE, w.token(w.staff(Post.HALL_AGENT, "countyA"), "console"))
    form = console.get(f"/applications/new?account_no={a.account_no}").text
    assert 'data-testid="application-prefill"' in form and "ZJTEST" in form
    fields = {"account_no": a.account_no, "kind": "lv_new", "capacity_kva": "9"}
    missing = console.post(
        "/applications/new", data=fields, files={"identity": ("id.jpg", JPEG, "image/jpeg")}
    )
    assert missing.status_code == 422 and "产权证明" in missing.text  # named, nothing stored
    filed = console.post(
        "/applications/new",
        data=fields,
        files={
            "identity": ("id.jpg", JPEG, "image/jpeg"),
            "property": ("deed.pdf", PDF, "application/pdf"),
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303
    page = filed.headers["location"]
    app_id = int(page.rsplit("/", 1)[1])
    console.post(f"{page}/request-more", data={"missing": "房产证第二页"})
    brought = console.post(
        f"{page}/supply",
        data={"doc_type": "property", "note": "客户到厅补交"},
        files={"document": ("page2.png", PNG, "image/png")},
        follow_redirects=True,
    )
    assert brought.status_code == 200 and "page2.png" in brought.text
    assert 'id="application-accept"' in brought.text  # back with the hall
    with w.platform.engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(BusinessApplication)) == 1
        channel = c.scalar(
            select(BusinessApplication.channel).where(BusinessApplication.id == app_id)
        )
    assert channel == "hall"
