"""DATA-7: the routes a field terminal calls are guarded by TerminalGuard, the third kind
of guard next to staff guards and public routes: nobody reaches them anonymously or with
a staff session (401), whatever the post — only terminal credentials open them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from safegrid.app import create_app
from safegrid.bootstrap import Platform
from safegrid.security.policy import Post
from safegrid.terminals.guard import TerminalGuard
from tests.fixtures.apps import app_for
from tests.fixtures.world import World
from tests.permissions.routes import RouteCase, route_cases

TERMINAL_CASES = [c for c in route_cases(create_app()) if isinstance(c.guard, TerminalGuard)]
EXPECTED = {
    "POST /api/terminals/uploads",
    "GET /api/terminals/commands",
    "POST /api/terminals/commands/{command_id}/ack",
}


def test_data_7_terminal_routes_are_exactly_the_device_api() -> None:
    assert {c.id for c in TERMINAL_CASES} == EXPECTED


@pytest.mark.parametrize("case", TERMINAL_CASES, ids=lambda c: c.id)
def test_data_7_terminal_routes_refuse_anonymous_and_staff(
    case: RouteCase, world: World, platform: Platform
) -> None:
    client = TestClient(app_for(platform))
    url = case.url({p: 1 for p in case.params})
    body = {"batch_id": "batch-perm-1", "sent_at": "2026-01-01T00:00:00Z", "sealed": "A" * 64}
    kwargs = {"json": body} if case.method == "POST" else {}
    assert client.request(case.method, url, **kwargs).status_code == 401
    for post in (Post.SYSTEM_ADMIN, Post.METER_READER):
        token = world.token(world.staff(post, "countyA"))
        resp = client.request(
            case.method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        assert resp.status_code == 401, f"{post.value} staff session opened {case.id}"
