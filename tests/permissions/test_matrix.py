"""ORG-2 / IAM-1: for every route and every post — anonymous → 401, without the permission
→ 403, inside the region → allowed, an object of another region → 404 (never 403, so the
response does not reveal that it exists). Generated from the routes' own guards."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from safegrid.app import create_app
from safegrid.bootstrap import Platform
from safegrid.security.guards import SESSION_COOKIE, Guard, Public
from safegrid.security.policy import POLICY, Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World
from tests.permissions.inputs import ALLOWED, ALLOWED_BUSINESS, BODIES, PARAMS, Ctx
from tests.permissions.routes import RouteCase, route_cases

CASES = route_cases(create_app())


def test_org_2_every_route_is_in_the_matrix() -> None:
    assert CASES, "no routes found"
    for case in CASES:
        for param in case.params if isinstance(case.guard, Guard) else []:
            assert param in PARAMS, f"{case.id}: add an inside/outside fixture for {{{param}}}"
        if case.method in {"POST", "PUT", "PATCH", "DELETE"} and isinstance(case.guard, Guard):
            assert case.id in BODIES, (
                f"{case.id}: add an example body to tests/permissions/inputs.py"
            )


def _audit_count(world: World) -> int:
    with world.platform.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one())


def _send(client: TestClient, case: RouteCase, url: str, token: str | None, body: dict) -> int:
    headers = {}
    if token is not None and isinstance(case.guard, Guard):
        if case.guard.kind == "api":
            headers["Authorization"] = f"Bearer {token}"
        else:
            headers["Cookie"] = f"{SESSION_COOKIE}={token}"
    resp = client.request(case.method, url, headers=headers, follow_redirects=False, **body)
    return resp.status_code


@pytest.mark.parametrize(
    "case", [c for c in CASES if isinstance(c.guard, Guard)], ids=lambda c: c.id
)
def test_org_2_route_matrix(case: RouteCase, world: World, platform: Platform) -> None:
    guard = case.guard
    assert isinstance(guard, Guard)
    client = TestClient(app_for(platform))
    body_for = BODIES.get(case.id, lambda c: {})
    anon_values = {p: 1 for p in case.params}
    assert (
        _send(
            client,
            case,
            case.url(anon_values),
            None,
            body_for(Ctx(world, world.staff(Post.AUDITOR, "countyA"))),
        )
        == 401
    )

    kind = "api" if guard.kind == "api" else "console"
    for post in Post:
        staff = world.staff(post, "countyA")
        ctx = Ctx(world, staff)
        inside: dict[str, object] = {}
        outside: dict[str, object] = {}
        for p in case.params:
            inside[p], outside[p] = PARAMS[p](world, staff)
        allowed = guard.perm is None or guard.perm in POLICY[post]
        body = body_for(ctx)  # built first: building it may itself write fixtures
        before = _audit_count(world)
        status = _send(client, case, case.url(inside), world.token(staff, kind), body)
        if not allowed:
            assert status == 403, f"{post.value} without {guard.perm}: {case.id} gave {status}"
            assert _audit_count(world) == before, f"{post.value}: forbidden {case.id} changed state"
            continue
        ok = ALLOWED | ALLOWED_BUSINESS.get(case.id, set())
        assert status in ok, f"{post.value} in region: {case.id} gave {status}"
        if case.params:
            body = body_for(ctx)
            before = _audit_count(world)
            status = _send(client, case, case.url(outside), world.token(staff, kind), body)
            assert status == 404, f"{post.value} out of region: {case.id} gave {status}"
            # Every state change is audited, so no new entry means nothing was written.
            assert _audit_count(world) == before, (
                f"{post.value} out of region: {case.id} answered 404 but changed state"
            )


@pytest.mark.parametrize(
    "case", [c for c in CASES if isinstance(c.guard, Public)], ids=lambda c: c.id
)
def test_org_2_public_routes_are_few_and_named(case: RouteCase) -> None:
    assert isinstance(case.guard, Public)
    assert case.guard.reason
    assert case.path in {
        "/api/auth/token",
        "/api/auth/token/verify",  # IAM-3: the SMS code of a new-location login
        "/api/health",
        "/login",
        "/login/verify",
        "/lang/{code}",
        "/docs",
        # PAY-6: the payment channel's callback, verified by its RSA2 signature.
        "/api/payments/online/callbacks/sandbox",
        # PAY-6: the WeChat-style channel's callback, verified by its signature headers.
        "/api/payments/online/callbacks/wechat",
        # The customer payment portal (pay a bill by account number, PAY-3).
        "/portal/pay",
        "/portal/pay/verify",
        "/portal/pay/return",
        # HALL-6: the customer portal's sign-in (mobile number + SMS code).
        "/portal/login",
        "/portal/login/code",
        # HALL-7: the hall event feed, opened by a subscriber's own bearer credential.
        "/api/hall/feed",
        # HALL-2, HALL-3: the hall's kiosk and display board (numbers only, no customer data).
        "/hall/kiosk/{hall_id}",
        "/hall/board/{hall_id}",
        "/hall/board/{hall_id}/stream",
        # HALL-5: hall terminals, opened by the terminal's own credential.
        "/api/hall/device/heartbeat",
        "/api/hall/device/faults",
        # OPS-6: the offline field app's shell and service worker, no data in either.
        "/field",
        "/field/sw.js",
        # OPS-7: anyone, staff or public, may report a hazard (安全随手拍), anonymously too.
        "/hazards/report",
        # OPS-6: an offline hall node's pairing, its one-time code the credential.
        "/api/counter/offline/pair",
        # OPS-6: the paired node's rows, asked for and answered under its own sealing key.
        "/api/counter/offline/snapshot",
    }, f"{case.id} is public; add it here only if it must be reachable without signing in"
