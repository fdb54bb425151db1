"""Bill runs, reversals and bill queries (BILL-4). Every change: one unit of work, audited
once, events after commit. An issued bill is never edited."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from safegrid.billing.bulk_store import BulkWriter
from safegrid.billing.events import BillRunCompleted
from safegrid.billing.models import BillRun, RunStatus
from safegrid.billing.periods import parse_period
from safegrid.billing.repository import BillRepository
from safegrid.billing.reversals import check_reason, reverse_bills
from safegrid.billing.run_engine import UsageProblem, compute
from safegrid.billing.run_loader import load_run_input
from safegrid.billing.run_writer import Issue, write_run
from safegrid.billing.schemas import DEFAULT_DUE_DAYS, BillRunOut
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, SafeGridError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.periods import is_period_closed
from safegrid.security.masking import snapshot

log = logging.getLogger(__name__)

BILL_NOT_FOUND = "账单不存在 / bill not found"
RUN_NOT_FOUND = "出账批次不存在 / bill run not found"

# (phase, done, total): "load", "compute", "write" — for a progress bar.
Progress = Callable[[str, int, int], None]


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    return None


def _run_unit(repo: BillRepository, uow: UnitOfWork) -> int:
    unit = uow.actor.org_unit_id or repo.root_unit_id()
    if unit is None:
        raise ValidationProblem("没有组织单位 / no org unit to run bills for", field="period")
    return unit


def _ensure_closed(
    uow: UnitOfWork, repo: BillRepository, period: str, *, for_update: bool = False
) -> None:
    """Closed utility-wide (``ReadingPeriod.status``) or for a unit whose subtree holds the
    caller's scope (the readings side's partial close): the usage is frozen either way."""
    repo.reading_period(period, for_update=for_update)  # and lock it: one run at a time
    if not is_period_closed(uow, period):
        raise ValidationProblem(
            f"抄表期 {period} 尚未关账，不能出账 / reading period {period} is not "
            f"closed; close it before running its bills",
            field="period",
        )


def check_runnable(uow: UnitOfWork, period: str) -> str:
    """The normalised period if a run of it may start now (the run checks again)."""
    period = parse_period(period)
    with uow:
        _ensure_closed(uow, BillRepository(uow), period)
    return period


def do_run_bills(
    uow: UnitOfWork,
    period: str,
    *,
    due_days: int = DEFAULT_DUE_DAYS,
    issued_at: datetime | None = None,
    progress: Progress = _no_progress,
) -> BillRunOut:
    """Issue the period's bills for every account in the caller's scope that has usage and
    no issued bill yet — all of them or none, in one transaction, with one audit entry.

    ``issued_at`` back-dates the bills when loading history (the demo); runs use now.
    """
    period = parse_period(period)
    if not 1 <= due_days <= 90:
        raise ValidationProblem("缴费期限应为1–90天 / due_days must be 1–90", field="due_days")
    now = clock.now()
    issued_at = issued_at or now
    try:
        with uow:
            repo = BillRepository(uow)
            _ensure_closed(uow, repo, period, for_update=True)
            run = BillRun(
                period=period,
                status=RunStatus.RUNNING,
                started_at=now,
                started_by=uow.actor.username,
                org_unit_id=_run_unit(repo, uow),
            )
            uow.session.add(run)
            uow.session.flush()
            progress("load", 0, 1)
            data = load_run_input(uow, period)
            progress("load", 1, 1)
            progress("compute", 0, 1)
            try:
                computed = compute(data.usage, data.table)
            except UsageProblem as problem:
                raise ValidationProblem(
                    f"账户 {data.account_id[problem.rows[:5]].tolist()} 的电量无法计费 / "
                    f"usage of accounts {data.account_id[problem.rows[:5]].tolist()} cannot be "
                    f"billed: {problem}",
                    field="kwh",
                ) from None
            progress("compute", 1, 1)
            writer = BulkWriter(uow.session.connection())
            issue = Issue(
                run.id,
                period,
                issued_at,
                clock.business_day(issued_at) + timedelta(days=due_days),
            )
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                progress("write", done, len(data))

            progress("write", 0, len(data))
            try:
                write_run(writer, issue, data, computed, advance)
            finally:
                writer.close()
            repo.link_next_bill(run.id, period)
            run.status = RunStatus.COMPLETED
            run.finished_at = clock.now()
            run.accounts = data.accounts_seen
            run.skipped = data.skipped
            run.bills_created = len(data)
            run.total_amount = Decimal(int(computed.fen.sum())).scaleb(-2)
            uow.audit(
                "billing.run",
                object_type="bill_run",
                object_id=run.id,
                org_unit_id=run.org_unit_id,
                after={
                    "period": period,
                    "accounts": run.accounts,
                    "bills_created": run.bills_created,
                    "skipped": run.skipped,
                    "total_amount": str(run.total_amount),
                    "due_date": issue.due_date.isoformat(),
                },
            )
            uow.emit(
                BillRunCompleted(
                    run_id=run.id,
                    period=period,
                    org_unit_id=run.org_unit_id,
                    bills_created=run.bills_created,
                    total_amount=run.total_amount,
                )
            )
            uow.commit()
            return BillRunOut.model_validate(run)
    except SafeGridError:
        raise
    except IntegrityError as exc:
        _record_failure(uow, period, now, exc)
        raise ConflictError(
            f"{period} 的账单已由另一批次出具 / another run issued bills of {period} at the "
            f"same time; run it again to bill the rest",
            field="period",
        ) from exc
    except Exception as exc:
        _record_failure(uow, period, now, exc)
        raise


def _record_failure(uow: UnitOfWork, period: str, started: datetime, exc: Exception) -> None:
    """A failed run leaves no bill, but its attempt and error are kept (and audited)."""
    log.exception("bill run for %s failed", period)
    fresh = uow.fresh()  # the failed one may hold unsent events
    try:
        with fresh:
            repo = BillRepository(fresh)
            run = BillRun(
                period=period,
                status=RunStatus.FAILED,
                started_at=started,
                finished_at=clock.now(),
                started_by=uow.actor.username,
                org_unit_id=_run_unit(repo, fresh),
                error=f"{type(exc).__name__}: {exc}"[:500],
            )
            fresh.session.add(run)
            fresh.session.flush()
            fresh.audit(
                "billing.run.failed",
                object_type="bill_run",
                object_id=run.id,
                org_unit_id=run.org_unit_id,
                note=run.error,
            )
            fresh.commit()
    except Exception:
        log.exception("could not record the failed bill run for %s", period)


def do_reverse_bill(uow: UnitOfWork, bill_id: int, reason: str) -> int:
    """Cancel an issued bill by a reversal bill (negative amount, every line negated);
    the account is billed again for the period by the next run. Returns the reversal's id."""
    reason = check_reason(reason)
    now = clock.now()
    with uow:
        repo = BillRepository(uow)
        bill = repo.bill(bill_id, for_update=True)
        if bill is None:
            raise NotFoundError(BILL_NOT_FOUND)
        before = snapshot(bill)
        (reversal,) = reverse_bills(uow, [bill], reason, now)
        uow.audit(
            "bill.reverse",
            object_type="bill",
            object_id=bill.id,
            org_unit_id=bill.org_unit_id,
            before=before,
            after={"status": bill.status.value, "reversal_bill_id": reversal.id},
            note=reason,
        )
        uow.commit()
        return reversal.id
