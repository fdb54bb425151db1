"""Scheduled reconciliation jobs (REC-3, REC-4), registered at import (listed in
``platform.jobs.JOB_MODULES``):

- ``reconciliation.monthly_run`` on the 1st: the previous month matched (the same
  :func:`matching.do_run_month` a person re-runs);
- ``reconciliation.month_complete`` on the 5th: alerts if the previous month is not
  complete (not run, or a registered account without a statement reaching month end);
- ``reconciliation.overdue_cases`` every working morning: cases past their due day and
  not closed are escalated once to the unit's department heads (alert + SMS outbox).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import exists, func, select

from safegrid.alerts.raise_alert import raise_alert
from safegrid.platform import clock, jobs
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import matching, periods, system_side
from safegrid.reconciliation.models import (
    BankAccount,
    BankStatement,
    CaseStatus,
    MatchItem,
    ReconCase,
)
from safegrid.security.actor import Actor

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform

WHOLE = system_side.WHOLE_UTILITY


def run_monthly(platform: Platform, actor: Actor) -> dict[str, object]:
    """Match the previous month (REC-4)"""
    result = matching.do_run_month(platform.uow(actor), periods.previous(clock.business_day()))
    return {
        "period": result.period,
        "green": result.green,
        "yellow": result.yellow,
        "red": result.red,
    }


def incomplete_reasons(uow: UnitOfWork, period: str) -> list[str]:
    _, last = periods.bounds(period)
    session = uow.session
    reasons = []
    if not session.scalar(
        select(exists().where(MatchItem.period == period)), execution_options=WHOLE
    ):
        reasons.append("未运行对账 / not matched yet")
    covered = exists().where(
        BankStatement.bank_account_id == BankAccount.id, BankStatement.last_day >= last
    )
    missing = session.scalars(
        select(BankAccount.account_no).where(~covered), execution_options=WHOLE
    ).all()
    if missing:
        reasons.append(f"缺少对账单 / statements missing for {', '.join(missing)}")
    return reasons


def do_check_month_complete(uow: UnitOfWork, period: str) -> list[str]:
    with uow:
        reasons = incomplete_reasons(uow, period)
        if reasons:
            raise_alert(
                uow.session, kind="recon_incomplete", object_type="recon_period", object_id=period,
                label=period, before=None, after="; ".join(reasons)[:200], unit_id=None,
                actor=uow.actor,
                text=f"【SafeGrid】{period} 对账未在 5 日前完成 / reconciliation of {period} is not complete: {'; '.join(reasons)}",
            )  # fmt: skip
            uow.audit(
                "recon.month_incomplete",
                object_type="recon_period",
                object_id=period,
                after={"reasons": reasons},
            )
            uow.commit()
    return reasons


def check_complete(platform: Platform, actor: Actor) -> dict[str, object]:
    """Alert if the previous month's reconciliation is not complete by the 5th (REC-1)"""
    period = periods.previous(clock.business_day())
    reasons = do_check_month_complete(platform.uow(actor), period)
    return {"period": period, "complete": not reasons}


def do_escalate_overdue(uow: UnitOfWork) -> int:
    today = clock.business_day()
    with uow:
        late = uow.session.scalars(
            select(ReconCase).where(
                ReconCase.status != CaseStatus.CLOSED,
                ReconCase.due_on < today,
                ReconCase.escalated_at.is_(None),
            ),
            execution_options=WHOLE,
        ).all()
        for case in late:
            case.escalated_at = clock.now()
            raise_alert(
                uow.session, kind="recon_case_overdue", object_type="recon_case", object_id=str(case.id),
                label=f"#{case.id}", before=f"due {case.due_on.isoformat()}", after=case.status.value,
                unit_id=case.org_unit_id, actor=uow.actor,
                text=(
                    f"【SafeGrid】对账工单 #{case.id} 已逾期（应于 {case.due_on:%Y-%m-%d} 前办结）/ "
                    f"reconciliation case #{case.id} is overdue (due {case.due_on:%Y-%m-%d})"
                ),
            )  # fmt: skip
        if late:
            uow.audit(
                "recon.cases_escalated", object_type="recon_case", object_id=None,
                after={"cases": [c.id for c in late]},
            )  # fmt: skip
            uow.commit()
        return len(late)


def escalate_overdue(platform: Platform, actor: Actor) -> dict[str, int]:
    """Escalate overdue reconciliation cases to department heads (REC-3)"""
    return {"escalated": do_escalate_overdue(platform.uow(actor))}


def open_cases(uow: UnitOfWork) -> int:
    return int(
        uow.session.scalar(
            select(func.count()).select_from(ReconCase).where(ReconCase.status != CaseStatus.CLOSED)
        )
        or 0
    )


def purge_reports(platform: Platform, actor: Actor) -> dict[str, int]:
    """Remove signed reconciliation reports past their 3 years (REC-4)"""
    from safegrid.reconciliation.reports import do_purge_expired  # reports imports this module

    return {"purged": do_purge_expired(platform.uow(actor))}


def fetch_settlements(platform: Platform, actor: Actor) -> dict[str, object]:
    """Fetch and verify yesterday's sandbox channel settlement file (REC-5, T+1 morning)"""
    from datetime import timedelta

    from safegrid.payments.online.registry import get_channel
    from safegrid.payments.online.sandbox import SandboxChannel
    from safegrid.reconciliation.settlements import do_fetch

    channel = get_channel()
    if not isinstance(
        channel, SandboxChannel
    ):  # pragma: no cover - only the sandbox settles files today
        return {"skipped": type(channel).__name__}
    day = clock.business_day() - timedelta(days=1)
    settlement_id = do_fetch(
        platform.uow(actor), channel, "online_sandbox", channel.settings.merchant_id, day
    )
    return {"day": day.isoformat(), "settlement": settlement_id}


jobs.register("reconciliation.fetch_settlements", "30 7 * * *", fetch_settlements)
jobs.register("reconciliation.report_retention", "0 3 2 * *", purge_reports)
jobs.register("reconciliation.monthly_run", "30 2 1 * *", run_monthly)
jobs.register("reconciliation.month_complete", "0 9 5 * *", check_complete)
jobs.register("reconciliation.overdue_cases", "0 8 * * *", escalate_overdue)
