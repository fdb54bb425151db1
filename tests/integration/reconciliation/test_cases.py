"""REC-3: a red item's case is resolved with its cause and evidence by one person and closed
by another; overdue cases escalate to the department heads; yellow items are reviewed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from safegrid.alerts.models import Alert
from safegrid.platform.errors import ConflictError, PermissionDeniedError, ValidationProblem
from safegrid.reconciliation import cases, jobs, writers
from safegrid.reconciliation.matching import do_run_month
from safegrid.reconciliation.models import CaseCause, CaseStatus, Colour, MatchItem, ReconCase
from safegrid.reconciliation.settings import get_recon_settings
from tests.integration.reconciliation.conftest import Month

D = Decimal


def _red_case(month: Month) -> int:
    month.import_lines([writers.Line(D("55.00"), date(2026, 11, 20), "UNKNOWN-1")])
    w = month.world
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    with w.platform.uow(w.system(), readonly=True) as uow:
        item = uow.session.scalars(
            select(MatchItem).where(MatchItem.rule == "missing_in_system")
        ).one()
        return uow.session.scalars(select(ReconCase.id).where(ReconCase.item_id == item.id)).one()


def test_rec_3_case_resolved_by_one_and_closed_by_another(month: Month) -> None:
    w = month.world
    case_id = _red_case(month)
    by_finance, by_head = (
        w.platform.uow(w.actor(month.finance)),
        w.platform.uow(w.actor(month.head)),
    )
    with pytest.raises(ValidationProblem, match="fix ticket"):
        cases.do_resolve(by_finance, case_id, cause=CaseCause.TECHNICAL, detail="接口漏单")
    with pytest.raises(ConflictError, match="no resolution"):
        cases.do_close(w.platform.uow(w.actor(month.head)), case_id, "ok")
    digest = cases.do_attach_evidence(by_finance, case_id, "bank.pdf", b"%PDF-1.4 evidence")
    assert (
        (get_recon_settings().evidence_dir / str(case_id) / digest).read_bytes().startswith(b"%PDF")
    )
    cases.do_resolve(
        w.platform.uow(w.actor(month.finance)), case_id, cause=CaseCause.TECHNICAL,
        detail="回调丢失 / callback lost", ticket="IF-2026-118",
    )  # fmt: skip
    with pytest.raises(PermissionDeniedError, match="second person"):
        cases.do_close(w.platform.uow(w.actor(month.finance)), case_id, "done")
    cases.do_close(by_head, case_id, "核实 / verified")
    with w.platform.uow(w.system(), readonly=True) as uow:
        case = uow.session.get_one(ReconCase, case_id)
        assert case.status == CaseStatus.CLOSED and case.closed_by == month.head.username
        assert case.evidence_sha256 == digest


def test_rec_3_overdue_case_escalates_once(month: Month) -> None:
    w = month.world
    case_id = _red_case(month)
    assert jobs.do_escalate_overdue(w.platform.uow(w.system())) == 0
    month.fixed.advance(timedelta(days=9))  # past Tue 8 Dec
    with w.platform.uow(w.system(), readonly=True) as uow:
        open_cases = jobs.open_cases(uow)
    assert open_cases == 4  # the stray entry, the deposit, the channel day, the direct debit
    assert jobs.do_escalate_overdue(w.platform.uow(w.system())) == open_cases
    assert jobs.do_escalate_overdue(w.platform.uow(w.system())) == 0
    with w.platform.uow(w.system(), readonly=True) as uow:
        alerts = uow.session.scalars(
            select(Alert).where(Alert.key_field == "recon_case_overdue")
        ).all()
    assert str(case_id) in {a.object_id for a in alerts} and len(alerts) == open_cases


def test_rec_3_yellow_turned_red_opens_a_case(month: Month) -> None:
    month.import_lines([writers.Line(D("599.70"), date(2026, 11, 4), "SANDBOX-20261103")])
    w = month.world
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    with w.platform.uow(w.system(), readonly=True) as uow:
        item = uow.session.scalars(select(MatchItem).where(MatchItem.colour == Colour.YELLOW)).one()
    with pytest.raises(ValidationProblem):
        cases.do_review_yellow(
            w.platform.uow(w.actor(month.head)), item.id, accept=False, reason=" "
        )
    case_id = cases.do_review_yellow(
        w.platform.uow(w.actor(month.head)),
        item.id,
        accept=False,
        reason="手续费超合同 / fee above contract",
    )
    assert case_id is not None
    with pytest.raises(ConflictError):
        cases.do_review_yellow(
            w.platform.uow(w.actor(month.head)), item.id, accept=True, reason="x"
        )


def test_rec_1_month_incomplete_raises_an_alert(month: Month) -> None:
    w = month.world
    reasons = jobs.do_check_month_complete(w.platform.uow(w.system()), "2026-11")
    assert any("not matched" in r for r in reasons) and any(
        "statements missing" in r for r in reasons
    )
    month.import_lines([writers.Line(D("1.00"), date(2026, 11, 30), "X-1")])
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    assert jobs.do_check_month_complete(w.platform.uow(w.system()), "2026-11") == []


def test_rec_3_cli_resolve_with_evidence_and_close_by_another(month: Month, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from safegrid.cli import app

    runner = CliRunner()
    case_id = _red_case(month)
    proof = tmp_path / "slip.pdf"
    proof.write_bytes(b"%PDF-1.4 bank slip")
    done = runner.invoke(app, [
        "reconciliation", "resolve", str(case_id), "--cause", "technical", "--detail", "回调丢失",
        "--ticket", "IF-7", "--evidence", str(proof), "--as", month.finance.username,
    ])  # fmt: skip
    assert done.exit_code == 0, done.output
    same = runner.invoke(
        app,
        ["reconciliation", "close", str(case_id), "--note", "x", "--as", month.finance.username],
    )
    assert same.exit_code == 1 and "second person" in same.output
    other = runner.invoke(
        app,
        ["reconciliation", "close", str(case_id), "--note", "核实", "--as", month.head.username],
    )
    assert other.exit_code == 0, other.output
