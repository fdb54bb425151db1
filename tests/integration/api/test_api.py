"""The API end to end through HTTP: token login, validation errors naming the field with
nothing written, scope, logout (IAM-3, BILL-1, ORG-2)."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.customers.models import Customer
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import PASSWORD, World


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _customers(world: World) -> int:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(Customer)) or 0


def test_iam_3_token_login_then_use_then_logout(world: World, client: TestClient) -> None:
    staff = world.staff(Post.HALL_AGENT, "countyA")
    resp = client.post(
        "/api/auth/token",
        json={
            "username": staff.username,
            "password": PASSWORD,
            "otp": pyotp.TOTP(staff.totp_secret).now(),
        },
    )
    assert resp.status_code == 200, resp.text
    headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    me = client.get("/api/auth/me", headers=headers).json()
    assert me["username"] == staff.username and "customers.view" in me["permissions"]
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    again = client.get("/api/auth/me", headers={**headers, "Accept-Language": "en"})
    assert again.status_code == 401 and "revoked" in again.json()["detail"]


def test_iam_3_bad_login_is_401_with_generic_message(world: World, client: TestClient) -> None:
    staff = world.staff(Post.HALL_AGENT, "countyA")
    resp = client.post(
        "/api/auth/token",
        json={"username": staff.username, "password": "Nope@12345", "otp": "123456"},
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 401
    assert "wrong username, password or one-time code" in resp.json()["detail"]


def test_bill_1_bad_id_number_is_422_naming_the_field(world: World, client: TestClient) -> None:
    agent = world.staff(Post.HALL_AGENT, "countyA")
    headers = {"Authorization": f"Bearer {world.token(agent)}", "Accept-Language": "en"}
    resp = client.post(
        "/api/customers",
        headers=headers,
        json={
            "kind": "resident",
            "name": "李四",
            "org_unit_id": world.units["stationA"],
            "address": "浙江省杭州市富阳区江滨西路1号",
            "id_number": "330183199001011231",
        },
    )
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "id_number"]
    assert "check digit" in resp.json()["detail"][0]["msg"]
    assert _customers(world) == 0


def test_bill_1_register_and_read_back_masked(world: World, client: TestClient) -> None:
    agent = world.staff(Post.HALL_AGENT, "countyA")
    headers = {"Authorization": f"Bearer {world.token(agent)}"}
    resp = client.post(
        "/api/customers",
        headers=headers,
        json={
            "kind": "resident",
            "name": "李四",
            "org_unit_id": world.units["stationA"],
            "address": "浙江省杭州市富阳区富春街道江滨西路1号",
            "id_number": "11010519491231002X",
            "mobile": "13912345678",
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["id_number"] == "1101************2X"
    assert body["mobile"] == "139****5678"
    assert "1号" not in body["address"]


def test_org_2_list_shows_only_own_county(world: World, client: TestClient) -> None:
    mine = world.customer("stationA")
    world.customer("stationB")
    agent = world.staff(Post.HALL_AGENT, "countyA")
    page = client.get(
        "/api/customers", headers={"Authorization": f"Bearer {world.token(agent)}"}
    ).json()
    assert page["total"] == 1 and page["items"][0]["id"] == mine


def test_api_docs_are_served_without_a_cdn(client: TestClient) -> None:
    resp = client.get("/docs")
    assert resp.status_code == 200
    assert "cdn" not in resp.text.lower() and "/static/vendor/" in resp.text
    assert client.get("/openapi.json").status_code == 200
