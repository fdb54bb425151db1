"""OPS-8 / ADR 0022, the CSRF column of the permission matrix: every console write — for a
post that is allowed to make it, inside its region — is refused with 403 without the page's
token, and with the token from a foreign origin, and nothing changes. Public console writes
(login, the payment portal) need the pre-session token too. Generated from the routes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from safegrid.app import create_app
from safegrid.bootstrap import Platform
from safegrid.security.guards import SESSION_COOKIE, Guard, Public
from safegrid.security.policy import POLICY, Post
from safegrid.web import csrf
from tests.fixtures.apps import app_for
from tests.fixtures.world import World
from tests.permissions.inputs import BODIES, PARAMS, Ctx
from tests.permissions.routes import route_cases

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
CONSOLE_WRITES = [
    c
    for c in route_cases(create_app())
    if c.method in WRITES
    and not c.path.startswith("/api/")
    and (isinstance(c.guard, Public) or (isinstance(c.guard, Guard) and c.guard.kind == "page"))
]


def _state(world: World) -> int:
    with world.platform.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one())


def test_ops_8_the_column_covers_the_console_writes() -> None:
    assert len(CONSOLE_WRITES) >= 40


@pytest.mark.parametrize("case", CONSOLE_WRITES, ids=lambda c: c.id)
def test_ops_8_console_write_without_token_is_403_and_changes_nothing(
    case: object, world: World, platform: Platform
) -> None:
    from tests.permissions.routes import RouteCase

    assert isinstance(case, RouteCase)
    client = TestClient(app_for(platform))
    guard = case.guard
    if isinstance(guard, Guard):
        post = next(p for p in Post if guard.perm is None or guard.perm in POLICY[p])
        staff = world.staff(post, "countyA")
        values = {p: PARAMS[p](world, staff)[0] for p in case.params}
        body = BODIES.get(case.id, lambda c: {})(Ctx(world, staff))
        cookie = f"{SESSION_COOKIE}={world.token(staff, 'console')}"
    else:
        values = {p: 1 for p in case.params}
        body = {"data": {"username": "x", "password": "y", "otp": "1", "account_no": "1"}}
        cookie = f"{csrf.ANON_COOKIE}=browser-cookie"
    url = case.url(values)
    for headers in (
        {csrf.HEADER: ""},  # no token
        {csrf.HEADER: "f" * 64},  # a guessed one
        {"Origin": "http://evil.example"},  # the right token, sent from a foreign page
        {"Sec-Fetch-Site": "same-site"},  # …or from a sibling intranet site
    ):
        before = _state(world)
        resp = client.request(
            case.method, url, headers={"Cookie": cookie, **headers}, follow_redirects=False, **body
        )
        assert resp.status_code == 403, f"{case.id} {headers}: {resp.status_code}"
        assert _state(world) == before, f"{case.id} {headers}: refused but changed state"
