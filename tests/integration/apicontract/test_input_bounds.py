"""Out-of-range input is a 422 naming the field, never a 500 (issue 12 defect 6, OPS-8,
DESIGN rule 6): integers beyond what the database holds in path, query and body, dates
and periods outside the years a business record can carry, control characters in text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safegrid.bootstrap import Platform
from safegrid.customers.validation import id_check_char
from safegrid.security.guards import SESSION_COOKIE, Guard
from safegrid.security.policy import POLICY, Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World
from tests.permissions.routes import _flat_routes, route_cases

HUGE = str(2**64 + 7)  # above 2^63: the OverflowError of the black-box test


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform), raise_server_exceptions=False) as c:
        yield c


def _poster(guard: Guard) -> Post:
    """A post holding the route's permission, so the request passes the guard."""
    for post in Post:
        if guard.perm is None or guard.perm in POLICY[post]:
            return post
    raise AssertionError(f"no post holds {guard.perm}")


def _int_queries(app: Any) -> dict[str, list[str]]:
    """Integer query parameters by route path and method."""
    found: dict[str, list[str]] = {}

    def walk(dep: Any, names: list[str]) -> None:
        for field in dep.query_params:
            if "int" in repr(field.field_info.annotation):
                names.append(field.alias)
        for sub in dep.dependencies:
            walk(sub, names)

    for route in _flat_routes(app):
        if not hasattr(route, "dependant"):
            continue
        names: list[str] = []
        walk(route.dependant, names)
        for method in route.methods:
            found[f"{method} {route.path}"] = names
    return found


def test_ops_8_huge_integers_in_every_path_and_query_are_never_a_5xx(
    world: World, client: TestClient
) -> None:
    app = client.app
    queries = _int_queries(app)
    tokens: dict[tuple[Post, str], str] = {}
    failures = []
    tried = 0
    for case in route_cases(app):  # type: ignore[arg-type]
        query = dict.fromkeys(queries.get(case.id, []), HUGE)
        if not case.params and not query:
            continue
        headers: dict[str, str] = {}
        if isinstance(case.guard, Guard):
            post = _poster(case.guard)
            kind = "api" if case.guard.kind == "api" else "console"
            if (post, kind) not in tokens:
                tokens[post, kind] = world.token(world.staff(post, "countyA"), kind)
            if kind == "api":
                headers["Authorization"] = f"Bearer {tokens[post, kind]}"
            else:
                headers["Cookie"] = f"{SESSION_COOKIE}={tokens[post, kind]}"
        url = case.url(dict.fromkeys(case.params, HUGE))
        resp = client.request(
            case.method, url, params=query, headers=headers, follow_redirects=False
        )
        tried += 1
        if resp.status_code >= 500:
            failures.append(f"{case.id} {query or ''} -> {resp.status_code}")
    assert tried > 100, tried
    assert not failures, "\n".join(failures)


def _auth(world: World, post: Post, unit: str = "countyA") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(world.staff(post, unit))}"}


def _problem(resp: Any) -> dict[str, Any]:
    assert resp.status_code == 422, (resp.status_code, resp.text)
    return dict(resp.json())


def test_ops_8_huge_id_and_page_are_422_naming_the_parameter(
    world: World, client: TestClient
) -> None:
    auth = _auth(world, Post.SYSTEM_ADMIN)
    body = _problem(client.get(f"/api/staff/{HUGE}", headers=auth))
    assert body["field"] == "account_id"
    assert body["detail"][0]["loc"] == ["path", "account_id"]
    body = _problem(client.get("/api/staff", params={"page": HUGE}, headers=auth))
    assert body["field"] == "page"
    # The largest page that passes must not overflow OFFSET either.
    ok = client.get("/api/staff", params={"page": str(2**31 - 1), "size": 200}, headers=auth)
    assert ok.status_code == 200, ok.text


def test_ops_8_period_of_year_zero_is_422(world: World, client: TestClient) -> None:
    auth = _auth(world, Post.DEPARTMENT_HEAD)
    body = _problem(
        client.post("/api/reading-periods/close", json={"period": "0000-01"}, headers=auth)
    )
    assert body["field"] == "period"


def test_ops_8_work_order_date_of_year_76_is_422(world: World, client: TestClient) -> None:
    auth = _auth(world, Post.DEPARTMENT_HEAD)
    area = world.reading_area("stationA")
    meter = world.meter(world.customer("stationA"), area)
    body = _problem(
        client.post(
            "/api/workorders",
            json={"kind": "inspect", "meter_id": meter, "planned_on": "0076-03-04"},
            headers=auth,
        )
    )
    assert body["field"] == "planned_on"


@pytest.mark.parametrize("text", ["李\x00四", "李四\x1b[31m", "李四\x7f"])
def test_ops_8_control_characters_in_free_text_are_422(
    world: World, client: TestClient, text: str
) -> None:
    auth = _auth(world, Post.HALL_AGENT)
    body = _problem(
        client.post(
            "/api/customers",
            json={
                "kind": "resident",
                "name": text,
                "id_number": "33018319900101123" + id_check_char("33018319900101123"),
                "org_unit_id": world.units["stationA"],
                "address": "浙江省杭州市富阳区江滨西路1号",
            },
            headers=auth,
        )
    )
    assert body["field"] == "name"
