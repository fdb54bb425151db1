"""The daily arrears job, ready for APScheduler (``scheduler.add_job(daily_arrears_job,
"cron", hour=1)``) or a separate worker: the same services the CLI calls, as the system."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, cast, literal, select

from safegrid.billing.models import Bill, BillKind
from safegrid.bootstrap import Platform, get_platform
from safegrid.collection.late_fees import do_accrue_late_fees
from safegrid.collection.models import CollectionPosting
from safegrid.collection.reminders import do_send_reminders
from safegrid.collection.schemas import JobResult
from safegrid.collection.writeoffs import do_apply_reversal
from safegrid.platform import jobs
from safegrid.security.actor import Actor

JOB_ACTOR = "collection-daily"


def sweep_reversals(platform: Platform, actor: Actor) -> int:
    """Apply reversal bills the billing run did not apply itself (idempotent)."""
    with platform.uow(actor, readonly=True) as uow:
        pending = uow.session.scalars(
            select(Bill.id)
            .where(Bill.kind == BillKind.REVERSAL, Bill.reverses_bill_id.is_not(None))
            .where(
                ~select(CollectionPosting.id)
                .where(CollectionPosting.reference == literal("reversal:") + cast(Bill.id, String))
                .exists()
            )
            .order_by(Bill.id)
        ).all()
    for bill_id in pending:
        do_apply_reversal(platform.uow(actor), bill_id)
    return len(pending)


def daily_arrears_job(
    day: date | None = None, platform: Platform | None = None, actor: Actor | None = None
) -> tuple[JobResult, JobResult]:
    """Reversals, then late fees for ``day``, then reminders. Safe to run any number of times."""
    platform = platform or get_platform()
    actor = actor or Actor.system(JOB_ACTOR)
    sweep_reversals(platform, actor)
    fees = do_accrue_late_fees(platform.uow(actor), day)
    reminders = do_send_reminders(platform.uow(actor), fees.day)
    return fees, reminders


def run_daily_arrears(platform: Platform, actor: Actor) -> tuple[JobResult, JobResult]:
    """Reversal sweep, today's late fees and reminders (BILL-5, BILL-6)."""
    return daily_arrears_job(platform=platform, actor=actor)


jobs.register(
    "collection.daily_arrears",
    "30 1 * * *",
    run_daily_arrears,
    "Reversal sweep, late fees and payment reminders for the business day (BILL-5, BILL-6)",
)
