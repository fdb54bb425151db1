"""OPS-8 / DATA-1 (issue 12, defect 7): prod refuses an insecure session cookie, sends HSTS,
and no response that may carry personal data is cached."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from safegrid.app import create_app
from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from tests.fixtures.world import World

SECRET = "a-real-production-secret-of-enough-length"


def test_ops_8_prod_refuses_an_insecure_cookie() -> None:
    with pytest.raises(ValidationError, match="SAFEGRID_COOKIE_SECURE"):
        Settings(env="prod", secret_key=SECRET, cookie_secure=False)
    assert Settings(env="prod", secret_key=SECRET, cookie_secure=True).cookie_secure
    assert Settings(env="prod", secret_key=SECRET).cookie_secure  # unset: secure in prod
    assert not Settings(env="dev").cookie_secure  # a dev server on http://127.0.0.1 works


@pytest.fixture
def prod(platform: Platform) -> Iterator[Platform]:
    settings = Settings(
        **{
            **platform.settings.model_dump(),
            "env": "prod",
            "secret_key": SECRET,
            "cookie_secure": True,
            "master_key": "0123456789abcdef0123456789abcdef",
        }
    )
    p = Platform(settings)
    set_platform(p)
    yield p
    set_platform(platform)
    p.dispose()


def test_ops_8_prod_sends_hsts(prod: Platform) -> None:
    client = TestClient(create_app(prod), base_url="https://safegrid.example")
    for path in ("/api/health", "/login", "/static/favicon.svg"):
        resp = client.get(path)
        assert resp.headers["strict-transport-security"].startswith("max-age=31536000"), path


def test_ops_8_no_hsts_outside_prod(platform: Platform) -> None:
    assert (
        "strict-transport-security"
        not in TestClient(create_app(platform)).get("/api/health").headers
    )


def test_ops_8_personal_data_is_never_cached(world: World) -> None:
    client = TestClient(create_app(world.platform))
    staff = world.staff(Post.HALL_AGENT, "stationA")
    customer = world.customer("stationA")
    api = {"Authorization": f"Bearer {world.token(staff)}"}
    for path in ("/api/auth/me", "/api/customers", f"/api/customers/{customer}"):
        resp = client.get(path, headers=api)
        assert resp.status_code == 200, path
        assert resp.headers["cache-control"] == "no-store", path
    assert client.get("/api/customers").headers["cache-control"] == "no-store"  # 401 too
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))
    page = client.get(f"/customers/{customer}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    redirect = client.get("/login", follow_redirects=False)
    assert redirect.headers["cache-control"] == "no-store"
    # Static files may be cached.
    assert "no-store" not in client.get("/static/favicon.svg").headers.get("cache-control", "")
