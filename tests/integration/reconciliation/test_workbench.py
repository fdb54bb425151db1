"""REC-3 and REC-4 in the console: the case workbench (deadline in Chinese working days, overdue
in red, assign, cause with evidence, a second person closes) and the report page (preview,
sign-off with a one-time code, download, archive check), with their to-do counts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.reconciliation import writers
from safegrid.reconciliation.matching import do_run_month
from safegrid.reconciliation.models import CaseStatus, Colour, Decision, MatchItem, ReconCase
from safegrid.reconciliation.settings import get_recon_settings
from safegrid.security.guards import SESSION_COOKIE
from safegrid.web.i18n import LANG_COOKIE
from safegrid.web.reconciliation import todo
from tests.fixtures.apps import app_for
from tests.fixtures.world import Staff
from tests.integration.reconciliation.conftest import VOUCHER, Month

D = Decimal


def _client(month: Month, staff: Staff) -> TestClient:
    client = TestClient(app_for(month.world.platform), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, month.world.token(staff, "console"))
    client.cookies.set(LANG_COOKIE, "en")
    return client


def _red_month(month: Month) -> int:
    w = month.world
    month.import_lines([
        writers.Line(D("150.50"), date(2026, 11, 3), VOUCHER),
        writers.Line(D("600.00"), date(2026, 11, 4), "SANDBOX-20261103"),
        writers.Line(D("80.00"), date(2026, 11, 5), "BATCH-7781"),
        writers.Line(D("55.00"), date(2026, 11, 30), "UNKNOWN-1"),  # the one red item
    ])  # fmt: skip
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    with w.platform.uow(w.system(), readonly=True) as uow:
        return uow.session.scalars(select(ReconCase.id)).one()


def _case(month: Month, case_id: int) -> ReconCase:
    with month.world.platform.uow(month.world.system(), readonly=True) as uow:
        case = uow.session.get_one(ReconCase, case_id)
        uow.session.expunge(case)
        return case


def test_rec_3_workbench_assign_resolve_with_evidence_and_second_person_closes(
    month: Month,
) -> None:
    w = month.world
    case_id = _red_month(month)
    finance, head = _client(month, month.finance), _client(month, month.head)
    page = finance.get("/reconciliation/cases")
    assert page.status_code == 200 and f'data-case="{case_id}"' in page.text
    assert "5 working days left" in page.text and "UNKNOWN-1" in page.text
    mine = w.platform.uow(w.actor(month.finance), readonly=True)
    assert todo.cases_due(mine) == todo.Tally(1, 0)

    assert finance.post(
        "/reconciliation/cases/assign", data={"case_id": case_id, "owner_id": month.head.id}
    ).status_code == 303  # fmt: skip
    assert _case(month, case_id).owner_id == month.head.id
    refused = finance.post(
        "/reconciliation/cases/assign", data={"case_id": case_id, "owner_id": 999_999}
    )
    assert refused.status_code == 422 and "the owner must work reconciliation" in refused.text

    # A technical cause without its fix ticket: refused, and the evidence sent with it is
    # not kept either (one unit of work).
    evidence = {"evidence": ("bank.pdf", b"%PDF-1.4 evidence", "application/pdf")}
    cause = {"case_id": case_id, "cause": "technical", "detail": "回调丢失 / callback lost"}
    bad = finance.post("/reconciliation/cases/resolve", data=cause, files=evidence)
    assert bad.status_code == 422 and "needs a fix ticket" in bad.text
    assert _case(month, case_id).evidence_sha256 is None
    ok = finance.post(
        "/reconciliation/cases/resolve", data={**cause, "ticket": "IF-2026-118"}, files=evidence
    )
    assert ok.status_code == 303
    resolved = _case(month, case_id)
    assert resolved.status == CaseStatus.RESOLVED and resolved.evidence_sha256
    assert (get_recon_settings().evidence_dir / str(resolved.evidence_path)).is_file()

    # The one who resolved cannot close; the head sees it in his to-do and closes it.
    assert "Waiting for a second person" in finance.get("/reconciliation/cases").text
    own = finance.post("/reconciliation/cases/close", data={"case_id": case_id, "note": "done"})
    assert own.status_code == 403 and "second person" in own.text
    assert todo.cases_to_close(w.platform.uow(w.actor(month.head), readonly=True)).count == 1
    closed = head.post("/reconciliation/cases/close", data={"case_id": case_id, "note": "核实"})
    assert closed.status_code == 303
    assert _case(month, case_id).status == CaseStatus.CLOSED
    assert f'data-case="{case_id}"' in head.get("/reconciliation/cases?show=closed").text


def test_rec_3_overdue_case_is_red_on_the_workbench_and_in_the_todo(month: Month) -> None:
    case_id = _red_month(month)
    month.fixed.advance(timedelta(days=10))  # 1 Dec + 10 days: past 8 Dec, the 5th working day
    page = _client(month, month.finance).get("/reconciliation/cases?show=overdue")
    assert (
        f'id="case-{case_id}" data-case="{case_id}" data-status="open" class="overdue"' in page.text
    )
    assert "3 working days overdue" in page.text  # 9, 10 and 11 Dec
    chinese = _client(month, month.finance)
    chinese.cookies.set(LANG_COOKIE, "zh")
    assert "已逾期 3 个工作日" in chinese.get("/reconciliation/cases?show=overdue").text
    w = month.world
    assert todo.cases_due(w.platform.uow(w.actor(month.finance), readonly=True)) == todo.Tally(1, 1)


def test_rec_4_report_page_preview_sign_download_and_verify(month: Month) -> None:
    w = month.world
    head = _client(month, month.head)
    page = head.get("/reconciliation/report?period=2026-11")
    assert page.status_code == 200 and "not matched yet" in page.text
    _red_month(month)
    signer = w.platform.uow(w.actor(month.head), readonly=True)
    assert todo.report_to_sign(signer) == todo.Tally(1, 0)
    preview = head.get("/reconciliation/report?period=2026-11")
    assert "cannot be signed yet" not in preview.text and "UNKNOWN-1" in preview.text

    wrong = head.post("/reconciliation/report/sign", data={"period": "2026-11", "otp": "000000"})
    assert wrong.status_code == 403 and "one-time code refused" in wrong.text
    finance = _client(month, month.finance)
    assert "report-sign" not in finance.get("/reconciliation/report?period=2026-11").text
    code = pyotp.TOTP(month.head.totp_secret).at(month.fixed.now())
    signed = head.post("/reconciliation/report/sign", data={"period": "2026-11", "otp": code})
    assert signed.status_code == 303
    shown = head.get("/reconciliation/report?period=2026-11")
    assert 'data-testid="report-signed"' in shown.text
    assert todo.report_to_sign(w.platform.uow(w.actor(month.head), readonly=True)).count == 0

    pdf = finance.get("/reconciliation/report/file", params={"period": "2026-11", "kind": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert finance.get(
        "/reconciliation/report/file", params={"period": "2026-11", "kind": "doc"}
    ).status_code == 422  # fmt: skip
    intact = finance.post("/reconciliation/report/verify", data={"period": "2026-11"})
    assert "SHA-256 unchanged" in intact.text
    path = get_recon_settings().report_dir / "2026-11" / "reconciliation-2026-11.xlsx"
    path.write_bytes(path.read_bytes() + b"\0")
    changed = finance.post("/reconciliation/report/verify", data={"period": "2026-11"})
    assert "archive file changed since signing" in changed.text


def test_rec_3_yellow_item_reviewed_on_the_board(month: Month) -> None:
    w = month.world
    month.import_lines([
        writers.Line(D("150.50"), date(2026, 11, 3), VOUCHER),
        writers.Line(D("599.70"), date(2026, 11, 4), "SANDBOX-20261103"),  # 0.30 fee: yellow
        writers.Line(D("80.00"), date(2026, 11, 30), "BATCH-7781"),
    ])  # fmt: skip
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    with w.platform.uow(w.system(), readonly=True) as uow:
        item_id = uow.session.scalars(
            select(MatchItem.id).where(MatchItem.colour == Colour.YELLOW)
        ).one()
    finance = _client(month, month.finance)
    board = finance.get("/reconciliation?period=2026-11&colour=yellow")
    assert 'data-testid="item-review"' in board.text
    form = {"item_id": item_id, "decision": "turn_red", "reason": "", "period": "2026-11"}
    empty = finance.post("/reconciliation/items/review", data=form)
    assert empty.status_code == 422 and "review-problem" in empty.text
    accepted = finance.post(
        "/reconciliation/items/review", data={**form, "decision": "accept", "reason": "渠道手续费"}
    )
    assert accepted.status_code == 303
    with w.platform.uow(w.system(), readonly=True) as uow:
        item = uow.session.get_one(MatchItem, item_id)
        assert item.decision == Decision.ACCEPTED and item.decided_by == month.finance.username
    again = finance.post("/reconciliation/items/review", data={**form, "reason": "再审"})
    assert again.status_code == 409  # decided once
