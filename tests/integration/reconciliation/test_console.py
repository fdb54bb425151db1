"""REC-2 console: the match board shows a month's items by colour with both sides, the
reason and the red item's case, in Chinese or English, scoped to the viewer's subtree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from safegrid.app import create_app
from safegrid.reconciliation import writers
from safegrid.reconciliation.matching import do_run_month
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.integration.reconciliation.conftest import Month


def test_rec_2_match_board_by_colour_with_case(month: Month) -> None:
    w = month.world
    month.import_lines([writers.Line(Decimal("55.00"), date(2026, 11, 20), "UNKNOWN-1")])
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    client = TestClient(create_app(w.platform))
    client.cookies.set(SESSION_COOKIE, w.token(month.finance, "console"))
    client.cookies.set(LANG_COOKIE, "zh")
    page = client.get("/reconciliation", params={"period": "2026-11", "colour": "red"})
    assert page.status_code == 200, page.text
    assert "资金对账" in page.text and "UNKNOWN-1" in page.text and "missing_in_system" in page.text
    assert "2026-12-08" in page.text  # the case's due day
    client.cookies.set(LANG_COOKIE, "en")
    assert "Red: larger difference" in client.get("/reconciliation?period=2026-11").text
    # A county's finance sees nothing of the province's account (ORG-2).
    county = TestClient(create_app(w.platform))
    county.cookies.set(SESSION_COOKIE, w.token(w.staff(Post.FINANCE, "countyB"), "console"))
    other = county.get("/reconciliation", params={"period": "2026-11"})
    assert other.status_code == 200 and "UNKNOWN-1" not in other.text
