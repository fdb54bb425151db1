"""The demo's today (issue 13): after the history, the day's work that staff find on their
to-do lists. Today's arrears run (late fees, reminders), two counter payments per county
taken by its cashier and waiting for the checker, and a data-use request per county from
its hall agent waiting for the department head — each through the real services as the
person who would do it, so it is audited like any work. Safe to run again: the counter
keys are per county and day (the counter returns the same receipts), and a county whose
agent already has a request under way gets no second one."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.customers.models import Account
from safegrid.datause import workflow
from safegrid.datause.models import DataUseRequest, RequestStatus
from safegrid.datause.schemas import RequestCreate
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.payments.counter import services as counter
from safegrid.payments.counter.schemas import PaymentIn
from safegrid.platform import clock, jobs
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.job_runs import JobRun, RunStatus
from safegrid.security.actor import Actor
from safegrid.security.cli_identity import actor_from_username

RECEIPTS_PER_COUNTY: Final = 2
AMOUNTS: Final = (Decimal("86.50"), Decimal("132.00"))
PURPOSE: Final = "核实欠费客户联系方式，电话通知缴费 / check contact of customers in arrears"


@dataclasses.dataclass(frozen=True)
class WorkLeft:
    receipts: int
    requests: int
    arrears_run: str


def leave_work(platform: Platform) -> WorkLeft:
    arrears_run = _arrears_run_today(platform)
    if arrears_run is None:
        # Once a day: a resumed or repeated `demo history` leaves the day as it found it.
        arrears_run = jobs.run_job(
            platform, "collection.daily_arrears", trigger="cli", by="demo"
        ).status.value
    with platform.uow(Actor.system("demo-workday", "cli"), readonly=True) as uow:
        counties = list(
            uow.session.execute(
                select(OrgUnit.id, OrgUnit.code)
                .where(OrgUnit.kind == UnitKind.COUNTY)
                .order_by(OrgUnit.code)
            ).all()
        )
    receipts = requests = 0
    for unit_id, code in counties:
        receipts += _counter_payments(platform, unit_id, code)
        requests += _datause_request(platform, code)
    return WorkLeft(receipts, requests, arrears_run)


def _arrears_run_today(platform: Platform) -> str | None:
    midnight = datetime.combine(clock.now().astimezone(BUSINESS_TZ).date(), time(), BUSINESS_TZ)
    with platform.uow(Actor.system("demo-workday", "cli"), readonly=True) as uow:
        status = uow.session.scalar(
            select(JobRun.status)
            .where(
                JobRun.name == "collection.daily_arrears",
                JobRun.status == RunStatus.SUCCEEDED,
                JobRun.started_at >= midnight,
            )
            .limit(1)
        )
    return None if status is None else status.value


def _counter_payments(platform: Platform, unit_id: int, code: str) -> int:
    cashier = actor_from_username(platform, f"cashier.{code}")
    with platform.uow(cashier, readonly=True) as uow:
        numbers = list(
            uow.session.scalars(
                select(Account.number).order_by(Account.id).limit(RECEIPTS_PER_COUNTY)
            )
        )
    today = clock.business_day()
    for n, (number, amount) in enumerate(zip(numbers, AMOUNTS, strict=False)):
        counter.do_record_payment(
            platform.uow(cashier),
            PaymentIn(
                account_no=number,
                amount=amount,
                request_key=f"demo-{code}-{today:%Y%m%d}-{n}",
            ),
        )
    return len(numbers)


def _datause_request(platform: Platform, code: str) -> int:
    agent = actor_from_username(platform, f"hall_agent.{code}")
    with platform.uow(agent, readonly=True) as uow:
        under_way = uow.session.scalar(
            select(DataUseRequest.id).where(
                DataUseRequest.requester_id == agent.account_id,
                DataUseRequest.status.in_((RequestStatus.PENDING_HEAD, RequestStatus.PENDING_DSO)),
            )
        )
    if under_way is not None:
        return 0
    start = datetime.combine(clock.business_day(), time.min, tzinfo=BUSINESS_TZ)
    workflow.do_file_request(
        platform.uow(agent),
        RequestCreate(
            purpose=PURPOSE,
            fields=["phone"],
            scope_unit_id=agent.org_unit_id,
            period_from=start,
            period_to=start + timedelta(days=3),
        ),
    )
    return 1
