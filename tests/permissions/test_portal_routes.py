"""HALL-6: the customer portal's own routes are guarded by PortalGuard, a kind of guard next
to staff guards, public routes and terminal guards. Nobody reaches them without a portal
session: not anonymously, not with a staff session (whatever the post), not with a forged
cookie — each is sent to the portal's sign-in page and nothing changes. With a session, a
write without the page's CSRF token is refused (403) and changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from safegrid.app import create_app
from safegrid.bootstrap import Platform
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web import csrf
from safegrid.web.portal.guard import PORTAL_COOKIE, PortalGuard
from tests.fixtures.apps import app_for
from tests.fixtures.portal import bound
from tests.fixtures.world import World
from tests.permissions.routes import route_cases

PORTAL_CASES = [c for c in route_cases(create_app()) if isinstance(c.guard, PortalGuard)]
EXPECTED = {
    "GET /portal",
    "POST /portal/logout",
    "GET /portal/accounts",
    "POST /portal/accounts",
    "GET /portal/accounts/{account_no}",
    "POST /portal/accounts/{account_no}/unbind",
    "POST /portal/accounts/{account_no}/pay",
    "GET /portal/feedback",
    "POST /portal/feedback",
    "POST /portal/feedback/{feedback_id}/rating",
    "GET /portal/queue",
    "POST /portal/queue",
    "GET /portal/apply",
    "GET /portal/apply/new",
    "POST /portal/apply",
    "GET /portal/apply/{application_id}",
    "POST /portal/apply/{application_id}/supply",
}


def _audits(world: World) -> int:
    with world.platform.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one())


def test_hall_6_portal_routes_are_exactly_the_customers_pages() -> None:
    assert {c.id for c in PORTAL_CASES} == EXPECTED


def test_hall_6_portal_routes_refuse_anonymous_staff_and_forged_sessions(
    world: World, platform: Platform
) -> None:
    client = TestClient(app_for(platform))
    token, _me, number = bound(world, "stationA")
    values = {"account_no": number, "feedback_id": 1, "application_id": 1}
    staff = world.token(world.staff(Post.HALL_MANAGER, "countyA"), "console")
    for case in PORTAL_CASES:
        url = case.url(values)
        body = {"data": {"account_no": number, "proof": "x", "amount": "1.00"}}
        for cookie, expected in (
            ("", "/portal/login"),
            (f"{SESSION_COOKIE}={staff}", "/portal/login"),
            # A browser that has the pre-session CSRF cookie, and a made-up portal cookie.
            (
                f"{csrf.ANON_COOKIE}=b; {PORTAL_COOKIE}=forged-{token[:8]}",
                "/portal/login?expired=1",
            ),
        ):
            before = _audits(world)
            resp = client.request(
                case.method,
                url,
                headers={"Cookie": cookie} if cookie else {},
                follow_redirects=False,
                **(body if case.method == "POST" else {}),
            )
            assert resp.status_code == 303, f"{case.id} with {cookie[:12]!r}: {resp.status_code}"
            assert resp.headers["location"] == expected, case.id
            assert _audits(world) == before, f"{case.id}: refused but changed state"


def test_hall_6_portal_writes_need_the_csrf_token(world: World, platform: Platform) -> None:
    client = TestClient(app_for(platform))
    token, _me, number = bound(world, "stationA")
    for case in (c for c in PORTAL_CASES if c.method == "POST"):
        url = case.url({"account_no": number, "feedback_id": 1, "application_id": 1})
        for headers in ({csrf.HEADER: ""}, {"Origin": "http://evil.example"}):
            before = _audits(world)
            resp = client.post(
                url,
                headers={"Cookie": f"{PORTAL_COOKIE}={token}", **headers},
                data={"account_no": number, "amount": "1.00"},
                follow_redirects=False,
            )
            assert resp.status_code == 403, f"{case.id} {headers}: {resp.status_code}"
            assert _audits(world) == before
