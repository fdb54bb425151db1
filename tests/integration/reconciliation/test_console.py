"""REC-2 console: the match board shows a month's items by colour with both sides, the
reason and the red item's case, in Chinese or English, scoped to the viewer's subtree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from safegrid.reconciliation import writers
from safegrid.reconciliation.matching import do_run_month
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.integration.reconciliation.conftest import Month


def test_rec_2_match_board_by_colour_with_case(month: Month) -> None:
    w = month.world
    month.import_lines([writers.Line(Decimal("55.00"), date(2026, 11, 20), "UNKNOWN-1")])
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    client = TestClient(app_for(w.platform))
    client.cookies.set(SESSION_COOKIE, w.token(month.finance, "console"))
    client.cookies.set(LANG_COOKIE, "zh")
    page = client.get("/reconciliation", params={"period": "2026-11", "colour": "red"})
    assert page.status_code == 200, page.text
    assert "资金对账" in page.text and "UNKNOWN-1" in page.text and "missing_in_system" in page.text
    assert "2026-12-08" in page.text  # the case's due day
    client.cookies.set(LANG_COOKIE, "en")
    assert "Red: larger difference" in client.get("/reconciliation?period=2026-11").text
    # A county's finance sees nothing of the province's account (ORG-2).
    county = TestClient(app_for(w.platform))
    county.cookies.set(SESSION_COOKIE, w.token(w.staff(Post.FINANCE, "countyB"), "console"))
    other = county.get("/reconciliation", params={"period": "2026-11"})
    assert other.status_code == 200 and "UNKNOWN-1" not in other.text


def test_rec_1_upload_preview_then_import_once(month: Month) -> None:
    w = month.world
    client = TestClient(app_for(w.platform))
    client.cookies.set(SESSION_COOKIE, w.token(month.finance, "console"))
    sheet = writers.Sheet(
        "3301000000001", "UP-1", Decimal("5.00"),
        [writers.Line(Decimal("150.50"), date(2026, 11, 3), "BOC-20261103-01")],
    )  # fmt: skip
    data = writers.bank_csv(sheet, "icbc", "gbk")

    def post(action: str, body: bytes = data) -> Any:
        return client.post(
            "/reconciliation/statements",
            files={"file": ("nov.csv", body, "text/csv")},
            data={"action": action},
        )

    preview = post("preview")
    assert preview.status_code == 200 and "BOC-20261103-01" in preview.text
    assert "文件余额核对无误" in preview.text
    unbalanced = post("preview", data.replace(b"155.50", b"155.51"))
    assert "do not reconcile" in unbalanced.text
    assert post("import").status_code == 200
    again = post("import")
    assert again.status_code == 409 and "already imported" in again.text
