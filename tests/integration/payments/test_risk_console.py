"""Risk console (PAY-4, PAY-5): the cases inbox shows the fired rules and their inputs and
lifts a case; the rule page saves a new version; Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from safegrid.bootstrap import Platform
from safegrid.payments.risk import rules
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import Staff, World
from tests.integration.payments.test_risk_cases import open_case
from tests.permissions.payments_risk_inputs import _form


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _login(client: TestClient, world: World, staff: Staff, lang: str = "zh") -> None:
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))
    client.cookies.set(LANG_COOKIE, lang)


def test_pay_5_case_inbox_shows_inputs_and_lifts(
    world: World, bills: Bills, client: TestClient
) -> None:
    case_id = open_case(world.platform, bills.account("stationA"))
    _login(client, world, world.staff(Post.DATA_SECURITY_OFFICER, "countyA"))
    page = client.get("/payments/risk/cases")
    assert page.status_code == 200
    assert "风险工单" in page.text and "PAY5-TEST" in page.text and "count=3" in page.text
    resp = client.post(f"/payments/risk/cases/{case_id}/lift", data={"note": "本人测试"},
                       follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303
    page = client.get(resp.headers["location"])
    assert "已解除" in page.text
    client.cookies.set(LANG_COOKIE, "en")
    assert "Lifted" in client.get("/payments/risk/cases").text


def test_pay_4_rule_page_saves_a_version(world: World, client: TestClient) -> None:
    _login(client, world, world.staff(Post.SYSTEM_ADMIN, "prov"), "en")
    page = client.get("/payments/risk/rules")
    assert page.status_code == 200 and "Version in force" in page.text
    form = _form(rules.DEFAULT_RULES.rules)
    form["threshold_0"] = "5"
    resp = client.post("/payments/risk/rules", data=form, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    page = client.get(resp.headers["location"])
    assert "The new rule version is in force." in page.text
    assert "PAY4-DEVICE: 5/30min" in page.text
    # A finance reviewer sees the rules but cannot save them.
    _login(client, world, world.staff(Post.FINANCE, "countyA"))
    assert "保存为新版本" not in client.get("/payments/risk/rules").text
    assert client.post("/payments/risk/rules", data=form).status_code == 403
