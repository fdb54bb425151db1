"""DATA-4/DATA-5 console: request form, approvers' inbox, reveal on the customer page,
grants, access log and exports pages, in Chinese and English."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.customers.models import Customer
from safegrid.datause.models import AccessLog, DataUseRequest, RequestStatus
from safegrid.platform import clock
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.datause import file_request, granted
from tests.fixtures.world import Staff, World


def number_of(world: World, customer: int) -> str:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return uow.session.get_one(Customer, customer).number


def _client(world: World, staff: Staff) -> TestClient:
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))
    return client


def test_data_4_console_request_and_two_approvals(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    today = clock.business_day()
    form = {
        "kind": "view",
        "purpose": "办理过户核实身份",
        "fields": ["id_number", "phone"],
        "customers": [number_of(world, customer)],  # picked by number (issue 13)
        "period_from": today.isoformat(),
        "period_to": (today + timedelta(days=40)).isoformat(),
    }
    client = _client(world, agent)
    assert client.get("/datause/requests/new").status_code == 200
    too_long = client.post("/datause/requests/new", data=form)
    assert too_long.status_code == 422 and "period_to-error" in too_long.text
    form["period_to"] = (today + timedelta(days=5)).isoformat()
    filed = client.post("/datause/requests/new", data=form, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    with world.platform.uow(world.system(), readonly=True) as uow:
        req = uow.session.scalars(select(DataUseRequest)).one()
    assert req.fields == ["id_number", "phone"] and req.customer_ids == [customer]
    head_client = _client(world, world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    inbox = head_client.get("/datause")
    assert inbox.status_code == 200 and f'data-testid="request-{req.id}"' in inbox.text
    decided = head_client.post(
        f"/datause/requests/{req.id}/head-decision", data={"approve": "yes"}, follow_redirects=False
    )
    assert decided.status_code == 303
    dso_client = _client(world, world.staff(Post.DATA_SECURITY_OFFICER, "prov"))
    assert f'data-testid="request-{req.id}"' in dso_client.get("/datause").text
    dso_client.post(f"/datause/requests/{req.id}/dso-decision", data={"approve": "yes"})
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.get_one(DataUseRequest, req.id).status == RequestStatus.APPROVED
    # The agent's own page lists the grant in force; his request cannot be self-approved.
    home = client.get("/datause")
    assert "my-grants" in home.text


def test_data_4_customer_page_reveal_button_and_htmx_value(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    client = _client(world, agent)
    page = client.get(f"/customers/{customer}")
    assert page.status_code == 200 and "reveal-id_number" not in page.text
    granted(world, agent, customer_ids=[customer], fields=["id_number"])
    page = client.get(f"/customers/{customer}")
    assert 'data-testid="reveal-id_number"' in page.text and "reveal-phone" not in page.text
    shown = client.post(
        f"/datause/customers/{customer}/reveal",
        data={"field": "id_number"},
        headers={"HX-Request": "true"},
    )
    with world.platform.uow(world.system(), readonly=True) as uow:
        id_number = uow.session.get_one(Customer, customer).id_number
        assert len(uow.session.scalars(select(AccessLog)).all()) == 1
    assert shown.status_code == 200 and str(id_number) in shown.text
    refused = client.post(
        f"/datause/customers/{customer}/reveal",
        data={"field": "phone"},
        headers={"HX-Request": "true"},
    )
    assert "reveal-error" in refused.text and str(id_number) not in refused.text


def test_data_4_security_pages_render_in_both_languages(world: World) -> None:
    agent = world.staff(Post.HALL_MANAGER, "hallA")
    customer = world.customer("hallA")
    granted(world, agent, customer_ids=[customer])
    agent_client = _client(world, agent)
    agent_client.post(f"/api/customers/{customer}/reveal")  # no bearer: ignored, cookie-only API
    from safegrid.datause import reveal
    from safegrid.datause.schemas import RevealIn

    reveal.do_reveal(world.platform.uow(world.actor(agent)), customer, RevealIn(field="id_number"))
    exported = agent_client.post("/datause/exports", data={"format": "xlsx"})
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    file_request(world, world.staff(Post.HALL_AGENT, "hallA"))
    dso = _client(world, world.staff(Post.DATA_SECURITY_OFFICER, "prov"))
    for lang, word in (("zh", "访问日志"), ("en", "Access log")):
        dso.cookies.set("sg_lang", lang)
        logs = dso.get(f"/datause/access-logs?staff={agent.username}")
        assert logs.status_code == 200 and word in logs.text
        assert agent.username in logs.text
        assert dso.get("/datause/grants?active=1").status_code == 200
        assert dso.get("/datause/exports").status_code == 200
        assert dso.get("/datause").status_code == 200
    assert "0 entries" in dso.get("/datause/access-logs?staff=nobody").text
