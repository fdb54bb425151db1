"""OPS-8 in the permission matrix: every route whose permission is an administration
function (policy.ADMIN_PERMS) refuses a holder of that permission calling from outside
the administration networks — one check in the route guard, read off the routes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from safegrid.app import create_app
from safegrid.bootstrap import Platform
from safegrid.security.guards import SESSION_COOKIE, Guard
from safegrid.security.policy import ADMIN_PERMS, POLICY, Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World
from tests.permissions.routes import route_cases

ADMIN_CASES = [
    c
    for c in route_cases(create_app())
    if isinstance(c.guard, Guard) and c.guard.perm in ADMIN_PERMS
]


def test_ops_8_administration_routes_exist() -> None:
    assert ADMIN_CASES, "no route is guarded by an administration permission"


def test_ops_8_admin_routes_refused_outside_admin_networks(
    world: World, platform: Platform
) -> None:
    # One world for all of them: only the guard answers, nothing is written.
    client = TestClient(app_for(platform), client=("203.0.113.9", 40000))
    tokens: dict[tuple[Post, str], str] = {}
    for case in ADMIN_CASES:
        guard = case.guard
        assert isinstance(guard, Guard) and guard.perm is not None
        post = next(p for p in Post if guard.perm in POLICY[p])
        kind = "api" if guard.kind == "api" else "console"
        if (post, kind) not in tokens:
            tokens[post, kind] = world.token(world.staff(post, "countyA"), kind)
        token = tokens[post, kind]
        headers = (
            {"Authorization": f"Bearer {token}"}
            if kind == "api"
            else {"Cookie": f"{SESSION_COOKIE}={token}"}
        )
        url = case.url({p: 1 for p in case.params})
        resp = client.request(case.method, url, headers=headers, follow_redirects=False)
        assert resp.status_code == 403, f"{case.id} from outside gave {resp.status_code}"
