"""OPS-8 (issue 12, defect 1): console writes need a token from a page of this site and a
same-origin browser; the API takes writes with a bearer token only (ADR 0022)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from safegrid.customers.models import Account
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web import csrf
from tests.fixtures.apps import app_for
from tests.fixtures.world import World

NUMBER = "6222020200112233445"
FORM = {"bank_name": "中国工商银行", "bank_account": NUMBER}


def _account(world: World) -> int:
    customer_id = world.customer("stationA")
    world.meter(customer_id, world.reading_area("stationA"))
    with world.platform.engine.connect() as conn:
        account_id = conn.scalar(select(Account.id).where(Account.customer_id == customer_id))
    assert account_id is not None
    return account_id


def _bank_account(world: World, account_id: int) -> object:
    with world.platform.engine.connect() as conn:
        return conn.execute(
            text("SELECT bank_account FROM accounts WHERE id = :id"), {"id": account_id}
        ).scalar_one()


def _signed_in(world: World) -> TestClient:
    client = TestClient(app_for(world.platform))
    clerk = world.staff(Post.HALL_AGENT, "stationA")
    client.cookies.set(SESSION_COOKIE, world.token(clerk, "console"))
    return client


def test_ops_8_the_reported_attack_from_a_foreign_origin_changes_nothing(world: World) -> None:
    """The black-box finding: a POST with ``Origin: http://evil.example`` changed a
    direct-debit bank account (303). Before the fix this answered 303 and stored it."""
    account_id = _account(world)
    client = _signed_in(world)
    url = f"/customers/accounts/{account_id}/direct-debit"
    for headers in (
        {"Origin": "http://evil.example", csrf.HEADER: ""},
        # Even with a valid token, a foreign or sibling origin is refused.
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ):
        resp = client.post(url, data=FORM, headers=headers, follow_redirects=False)
        assert resp.status_code == 403, headers
        assert "CSRF" in resp.text
    # No token at all (an old browser sends neither header): refused too.
    resp = client.post(url, data=FORM, headers={csrf.HEADER: ""}, follow_redirects=False)
    assert resp.status_code == 403
    assert _bank_account(world, account_id) is None
    # A wrong token is no token.
    resp = client.post(url, data=FORM, headers={csrf.HEADER: "0" * 64}, follow_redirects=False)
    assert resp.status_code == 403
    assert _bank_account(world, account_id) is None


def test_ops_8_the_page_s_own_form_and_htmx_header_are_accepted(world: World) -> None:
    account_id = _account(world)
    client = _signed_in(world)
    url = f"/customers/accounts/{account_id}/direct-debit"
    page = client.get(url)
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert token is not None, "the form carries the hidden token"
    assert f'"X-CSRF-Token": "{token.group(1)}"' in page.text, "htmx requests carry it too"
    # As the browser posts the form: the hidden field, same origin, no header.
    resp = client.post(
        url,
        data={**FORM, "csrf_token": token.group(1)},
        headers={csrf.HEADER: "", "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    # An empty header is "no header": the form field decides.
    assert resp.status_code == 303
    assert _bank_account(world, account_id) is not None


def test_ops_8_a_token_is_bound_to_its_session(world: World) -> None:
    """A token another session's page carried (the attacker's own) is refused."""
    account_id = _account(world)
    victim = _signed_in(world)
    attacker = _signed_in(world)
    page = attacker.get(f"/customers/accounts/{account_id}/direct-debit")
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert token is not None
    resp = victim.post(
        f"/customers/accounts/{account_id}/direct-debit",
        data=FORM,
        headers={csrf.HEADER: token.group(1)},
        follow_redirects=False,
    )
    assert resp.status_code == 403
    assert _bank_account(world, account_id) is None


def test_ops_8_login_form_needs_the_pre_session_token(world: World) -> None:
    client = TestClient(app_for(world.platform))
    page = client.get("/login")
    assert csrf.ANON_COOKIE in page.cookies
    resp = client.post(
        "/login", data={"username": "x", "password": "y", "otp": "1"}, headers={csrf.HEADER: ""}
    )
    assert resp.status_code == 403


def test_ops_8_api_writes_refuse_the_console_cookie(world: World) -> None:
    """A cookie-authenticated API write would dodge the console's token check."""
    client = TestClient(app_for(world.platform))
    admin = world.staff(Post.SYSTEM_ADMIN, "prov")
    client.cookies.set(SESSION_COOKIE, world.token(admin, "console"))
    resp = client.post(
        "/api/staff",
        json={
            "username": "planted",
            "real_name": "某某",
            "post": "auditor",
            "org_unit_id": world.units["countyA"],
            "initial_password": "Plant@Password12",
        },
    )
    assert resp.status_code == 401
    assert client.get("/api/auth/me").status_code == 200  # reads still work
    with world.platform.engine.connect() as conn:
        assert (
            conn.scalar(text("SELECT COUNT(*) FROM staff_accounts WHERE username='planted'")) == 0
        )
