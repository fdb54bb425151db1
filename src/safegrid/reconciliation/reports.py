"""The signed monthly report (REC-4).

The leader in charge (a post holding ``reconciliation.sign``) signs a complete month off with
their one-time code; the Excel and PDF are written then, with the signature in them, and
never again: their SHA-256 is stored with the report row (one per period, a unique
constraint) and in the audit entry, and :func:`verify` says whether the archived files
are still the ones signed. The retention job removes reports past their 3 years.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SafeGridError,
    ValidationProblem,
)
from safegrid.platform.integrity import conflict_on
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import jobs, periods, report_data, report_files, system_side
from safegrid.reconciliation.models import MonthlyReport
from safegrid.reconciliation.settings import get_recon_settings
from safegrid.reconciliation.statements import refused
from safegrid.security.authn import confirm_second_factor
from safegrid.security.models import StaffAccount
from safegrid.security.policy import Perm

NO_REPORT = "该月报告尚未签发 / no signed report for this month"


@dataclasses.dataclass(frozen=True)
class Verdict:
    period: str
    intact: bool
    problems: list[str]


def do_sign(uow: UnitOfWork, period: str, otp: str) -> MonthlyReport:
    try:
        return _sign(uow, period, otp)
    except SafeGridError as exc:
        refused(uow, "recon.report_sign_refused", period, exc)
        raise


def _sign(uow: UnitOfWork, period: str, otp: str) -> MonthlyReport:
    periods.bounds(period)
    if not uow.actor.can(Perm.RECON_SIGN):
        raise PermissionDeniedError(
            "只有分管领导可签发对账报告 / only the leader in charge signs the report off"
        )
    settings = get_recon_settings()
    with uow:
        account = (
            uow.session.get(StaffAccount, uow.actor.account_id) if uow.actor.account_id else None
        )
        if account is None or not confirm_second_factor(account, otp, clock.now()):
            raise PermissionDeniedError("动态口令错误 / one-time code refused")
        missing = jobs.incomplete_reasons(uow, period)
        if missing:
            raise ValidationProblem(
                f"{period} 对账未完成 / month not complete: {'; '.join(missing)}", field="period"
            )
        # The whole utility's month: the signer answers for all of it.
        data = report_data.gather(uow.session, period, system_side.WHOLE_UTILITY)
        now = clock.now()
        files = {
            "xlsx": report_files.xlsx(data, account.real_name, now),
            "pdf": report_files.pdf(data, account.real_name, now),
        }
        folder = settings.report_dir / period
        folder.mkdir(parents=True, exist_ok=True)
        digests = {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}
        report = MonthlyReport(
            period=period, xlsx_path=f"{period}/reconciliation-{period}.xlsx",
            pdf_path=f"{period}/reconciliation-{period}.pdf", xlsx_sha256=digests["xlsx"],
            pdf_sha256=digests["pdf"], signed_by=uow.actor.username, signed_by_name=account.real_name,
            signed_at=now,
            retain_until=_kept_until(period, settings.report_retention_years),
        )  # fmt: skip
        uow.session.add(report)
        with conflict_on(
            "uq_recon_reports_period",
            ConflictError(
                f"{period} 报告已签发，不可更改 / the report of {period} is signed and immutable",
                field="period",
            ),
        ):
            uow.session.flush()
        for kind, content in files.items():
            target = settings.report_dir / getattr(report, f"{kind}_path")
            if target.exists():
                raise ConflictError(
                    f"归档文件已存在 / archive file exists: {target.name}", field="period"
                )
            target.write_bytes(content)
        uow.audit(
            "recon.report_signed", object_type="recon_report", object_id=report.id,
            after={"period": period, "xlsx_sha256": digests["xlsx"], "pdf_sha256": digests["pdf"],
                   "retain_until": report.retain_until.isoformat()},
        )  # fmt: skip
        uow.commit()
        return report


def _kept_until(period: str, years: int) -> date:
    following = periods.bounds(period)[1] + timedelta(days=1)  # the 1st: every year has it
    return following.replace(year=following.year + years)


def do_purge_expired(uow: UnitOfWork) -> int:
    """The retention job: reports past their ``retain_until`` leave the archive."""
    settings = get_recon_settings()
    with uow:
        expired = uow.session.scalars(
            select(MonthlyReport).where(MonthlyReport.retain_until < clock.business_day())
        ).all()
        for report in expired:
            for path in (report.xlsx_path, report.pdf_path):
                (settings.report_dir / path).unlink(missing_ok=True)
            uow.session.delete(report)
        if expired:
            uow.audit(
                "recon.reports_purged", object_type="recon_report",
                after={"periods": [r.period for r in expired]},
            )  # fmt: skip
            uow.commit()
        return len(expired)


def verify(uow: UnitOfWork, period: str) -> Verdict:
    """Whether the archived files are byte for byte the ones signed (a change is audited)."""
    settings = get_recon_settings()
    with uow:
        report = uow.session.scalars(
            select(MonthlyReport).where(MonthlyReport.period == period)
        ).first()
        if report is None:
            raise NotFoundError(NO_REPORT)
        problems = []
        for kind in ("xlsx", "pdf"):
            path: Path = settings.report_dir / getattr(report, f"{kind}_path")
            if not path.is_file():
                problems.append(f"{kind} 归档文件缺失 / archive file missing")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != getattr(report, f"{kind}_sha256"):
                problems.append(f"{kind} 归档文件已被改动 / archive file changed since signing")
        if problems:
            uow.audit(
                "recon.report_tampered",
                object_type="recon_report",
                object_id=report.id,
                after={"problems": problems},
            )
            uow.commit()
        return Verdict(period, not problems, problems)


@dataclasses.dataclass(frozen=True)
class Preview:
    """The report page before and after sign-off: what the report says in the reader's
    scope, what still keeps the month from being signed, and the signed report if any."""

    data: report_data.ReportData
    missing: list[str]
    report: MonthlyReport | None


def preview(uow: UnitOfWork, period: str) -> Preview:
    periods.bounds(period)
    with uow:
        data = report_data.gather(uow.session, period)
        missing = jobs.incomplete_reasons(uow, period)
        report = uow.session.scalars(
            select(MonthlyReport).where(MonthlyReport.period == period)
        ).first()
        if report is not None:
            uow.session.expunge(report)
    return Preview(data, missing, report)


MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def archived_file(uow: UnitOfWork, period: str, kind: str) -> tuple[str, bytes]:
    """The signed Excel or PDF as archived (the page's verify says whether it still is)."""
    if kind not in MEDIA_TYPES:
        raise ValidationProblem(
            f"文件类型应为 xlsx 或 pdf / kind must be xlsx or pdf: {kind!r}", field="kind"
        )
    with uow:
        report = uow.session.scalars(
            select(MonthlyReport).where(MonthlyReport.period == period)
        ).first()
        if report is None:
            raise NotFoundError(NO_REPORT)
        relative: str = getattr(report, f"{kind}_path")
    path = get_recon_settings().report_dir / relative
    if not path.is_file():
        raise NotFoundError("归档文件缺失 / archive file missing")
    return path.name, path.read_bytes()
