"""REC-4: the month's report is signed off by the leader in charge with a second factor,
only for a complete month, once; its Excel and PDF (Chinese font embedded) are archived with
their SHA-256, a changed archive is detected, and the retention job keeps them 3 years."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pyotp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from safegrid.platform.errors import ConflictError, PermissionDeniedError, ValidationProblem
from safegrid.reconciliation import reports, writers
from safegrid.reconciliation.matching import do_run_month
from safegrid.reconciliation.models import MonthlyReport
from safegrid.reconciliation.settings import get_recon_settings
from safegrid.security.models import AuditEntry
from tests.integration.reconciliation.conftest import Month

D = Decimal


def _code(month: Month, staff) -> str:  # type: ignore[no-untyped-def]
    return pyotp.TOTP(staff.totp_secret).at(month.fixed.now())


def test_rec_4_sign_off_rules_and_immutable_archive(month: Month) -> None:
    w = month.world
    head = w.platform.uow  # each call below is a new unit of work
    with pytest.raises(ValidationProblem, match="not complete"):
        reports.do_sign(head(w.actor(month.head)), "2026-11", _code(month, month.head))
    month.import_lines([writers.Line(D("55.00"), date(2026, 11, 30), "UNKNOWN-1")])
    do_run_month(head(w.actor(month.finance)), "2026-11")
    with pytest.raises(PermissionDeniedError, match="leader in charge"):
        reports.do_sign(head(w.actor(month.finance)), "2026-11", _code(month, month.finance))
    with pytest.raises(PermissionDeniedError, match="one-time code"):
        reports.do_sign(head(w.actor(month.head)), "2026-11", "000000")
    report = reports.do_sign(head(w.actor(month.head)), "2026-11", _code(month, month.head))
    month.fixed.advance(timedelta(seconds=31))
    with pytest.raises(ConflictError, match="immutable"):
        reports.do_sign(head(w.actor(month.head)), "2026-11", _code(month, month.head))
    root = get_recon_settings().report_dir
    pdf = (root / report.pdf_path).read_bytes()
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    book = load_workbook(io.BytesIO((root / report.xlsx_path).read_bytes()))
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert "2026-11 资金对账报告 / reconciliation report" in cells
    assert reports.verify(head(w.system()), "2026-11").intact
    (root / report.pdf_path).write_bytes(pdf.replace(b"%%EOF", b"%%EOF\n% edited"))
    verdict = reports.verify(head(w.system()), "2026-11")
    assert not verdict.intact and "changed since signing" in verdict.problems[0]
    with w.platform.uow(w.system(), readonly=True) as uow:
        actions = set(uow.session.scalars(select(AuditEntry.action)).all())
    assert {"recon.report_signed", "recon.report_tampered", "recon.report_sign_refused"} <= actions


def test_rec_4_retention_keeps_reports_three_years(month: Month) -> None:
    w = month.world
    month.import_lines([writers.Line(D("55.00"), date(2026, 11, 30), "UNKNOWN-1")])
    do_run_month(w.platform.uow(w.actor(month.finance)), "2026-11")
    report = reports.do_sign(
        w.platform.uow(w.actor(month.head)), "2026-11", _code(month, month.head)
    )
    assert report.retain_until == date(2029, 12, 1)
    assert reports.do_purge_expired(w.platform.uow(w.system())) == 0
    month.fixed.advance(timedelta(days=3 * 366 + 2))
    assert reports.do_purge_expired(w.platform.uow(w.system())) == 1
    assert not (get_recon_settings().report_dir / report.pdf_path).exists()
    with w.platform.uow(w.system(), readonly=True) as uow:
        assert uow.session.scalars(select(MonthlyReport)).first() is None
