"""The demo's today (issue 13): after the history, the day's work that staff find on their
to-do lists. Today's arrears run (late fees, reminders), two counter payments per county
taken by its cashier and waiting for the checker, and a data-use request per county from
its hall agent waiting for the department head — each through the real services as the
person who would do it, so it is audited like any work. For the newer desks, per county:
a cash shortage (长短款) the checker recorded and the cashier has yet to acknowledge, a
walking order its station's team leader set on the first reading book, and abnormal
readings (register lower than the last) its meter reader confirmed with a reason, waiting
for review; and a usage correction (BILL-7 退补) its meter reader proposed for the last
closed month, waiting for finance's approval. Safe to run again: the counter keys are per county and day (the counter
returns the same receipts, a confirmed one is not counted twice), a county whose agent
already has a request under way gets no second one, a book with a walking order keeps it,
readings are queued only up to the number waiting, and a reader with a correction waiting
proposes no second one."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.customers.models import Account, Meter, ReadingArea
from safegrid.datause import workflow
from safegrid.datause.models import DataUseRequest, RequestStatus
from safegrid.datause.schemas import RequestCreate
from safegrid.demo.geography import STATION_SUFFIX
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.payments.counter import services as counter
from safegrid.payments.counter.models import ReceiptStatus
from safegrid.payments.counter.schemas import ConfirmIn, PaymentIn
from safegrid.platform import clock, jobs
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.job_runs import JobRun, RunStatus
from safegrid.readings import books, correction_requests
from safegrid.readings import services as readings
from safegrid.readings.correction_models import CorrectionStatus, UsageCorrectionRequest
from safegrid.readings.corrections import Figures
from safegrid.readings.models import MonthlyUsage
from safegrid.readings.route_models import ReadingReview, ReviewStatus, RouteStop
from safegrid.readings.schemas import ReadingEntry, ReadingReviewOut
from safegrid.security.actor import Actor
from safegrid.security.cli_identity import actor_from_username

RECEIPTS_PER_COUNTY: Final = 2
AMOUNTS: Final = (Decimal("86.50"), Decimal("132.00"))
PURPOSE: Final = "核实欠费客户联系方式，电话通知缴费 / check contact of customers in arrears"
# The third payment of the day is counted 0.50 short by the checker: a 短款 for the cashier.
SHORTAGE_PAYMENT: Final = Decimal("64.00")
SHORT_BY: Final = Decimal("0.50")
REVIEWS_PER_COUNTY: Final = 2
# The reader types a register this much below the last one: abnormal (backwards) for sure.
BACKWARDS_BY: Final = Decimal("12.00")
# What a reader writes when confirming it (stored as typed, in the reader's language).
REVIEW_REASON: Final = "表盘示数确实小于上次，已拍照，疑似换表未登记"
# The reader's correction: the frozen month was this much short (an estimate after a missed
# AMI feed, checked against the dial).
CORRECTION_ADDS: Final = Decimal("18.00")
CORRECTION_REASON: Final = (
    "集抄数据缺失按估算冻结，现场核对表盘后补录 / estimated after a missed feed"
)
CORRECTION_EVIDENCE: Final = "表盘照片 IMG-现场核查；抄表员现场复核记录"


@dataclasses.dataclass(frozen=True)
class WorkLeft:
    receipts: int
    requests: int
    arrears_run: str
    shortages: int
    walking_orders: int
    reviews: int
    corrections: int = 0


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
    receipts = requests = shortages = orders = reviews = corrections = 0
    for _unit_id, code in counties:
        receipts += _counter_payments(platform, code)
        requests += _datause_request(platform, code)
        shortages += _cash_shortage(platform, code)
        orders += _walking_order(platform, code)
        reviews += _reading_reviews(platform, code)
        corrections += propose_correction(platform, code)
    return WorkLeft(receipts, requests, arrears_run, shortages, orders, reviews, corrections)


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


def _counter_payments(platform: Platform, code: str) -> int:
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


def _cash_shortage(platform: Platform, code: str) -> int:
    cashier = actor_from_username(platform, f"cashier.{code}")
    with platform.uow(cashier, readonly=True) as uow:
        number = uow.session.scalar(
            select(Account.number).order_by(Account.id).offset(RECEIPTS_PER_COUNTY).limit(1)
        )
    if number is None:
        return 0
    receipt = counter.do_record_payment(
        platform.uow(cashier),
        PaymentIn(
            account_no=number,
            amount=SHORTAGE_PAYMENT,
            request_key=f"demo-{code}-{clock.business_day():%Y%m%d}-short",
        ),
    )
    if receipt.status != ReceiptStatus.RECORDED:
        return 0  # checked on an earlier run today
    checker = actor_from_username(platform, f"checker.{code}")
    counter.do_confirm(
        platform.uow(checker),
        receipt.id,
        ConfirmIn(counted=SHORTAGE_PAYMENT - SHORT_BY, record_difference=True),
    )
    return 1


def _first_book(platform: Platform, actor: Actor, code: str) -> int | None:
    with platform.uow(actor, readonly=True) as uow:
        return uow.session.scalar(select(ReadingArea.id).where(ReadingArea.code == f"{code}-ra1"))


def _walking_order(platform: Platform, code: str) -> int:
    leader = actor_from_username(platform, f"team_leader.{code}-{STATION_SUFFIX}")
    area_id = _first_book(platform, leader, code)
    if area_id is None:
        return 0
    with platform.uow(leader, readonly=True) as uow:
        if uow.session.scalar(
            select(RouteStop.id).where(RouteStop.reading_area_id == area_id).limit(1)
        ):
            return 0  # the leader's order stands; a rerun does not rewrite it
    stops = books.book(platform.uow(leader, readonly=True), area_id).stops
    # Walked from the highest asset number down: an order a reader can tell apart from
    # the unplaced (ascending) one.
    order = sorted((s.asset_no for s in stops), reverse=True)
    books.do_set_walking_order(platform.uow(leader), area_id, order)
    return 1


def _reading_reviews(platform: Platform, code: str) -> int:
    reader = actor_from_username(platform, f"meter_reader.{code}-{STATION_SUFFIX}")
    with platform.uow(reader, readonly=True) as uow:
        waiting = uow.session.scalar(
            select(func.count())
            .select_from(ReadingReview)
            .where(ReadingReview.status == ReviewStatus.PENDING)
        )
        # One total register is all the reader types: time-of-use meters need three.
        plain = set(uow.session.scalars(select(Meter.id).where(Meter.is_tou.is_(False))))
        area_ids = list(uow.session.scalars(select(ReadingArea.id).order_by(ReadingArea.code)))
    needed = REVIEWS_PER_COUNTY - int(waiting or 0)
    queued = 0
    for area_id in area_ids:
        if queued >= needed:
            break
        book = books.book(platform.uow(reader, readonly=True), area_id)
        candidates = [
            s
            for s in book.stops
            # Read before today (the AMI feed reads most meters daily): a reading today
            # below the last one is backwards.
            if s.meter_id in plain
            and s.last_total is not None
            and s.last_total > BACKWARDS_BY
            and s.last_day is not None
            and s.last_day < book.day
            and not s.waiting_review
        ]
        for stop in candidates[: needed - queued]:
            assert stop.last_total is not None
            out = readings.do_enter_reading(
                platform.uow(reader),
                ReadingEntry(
                    asset_no=stop.asset_no,
                    read_on=book.day,
                    total=stop.last_total - BACKWARDS_BY,
                    confirm_reason=REVIEW_REASON,
                ),
            )
            queued += isinstance(out, ReadingReviewOut)
    return queued


def propose_correction(platform: Platform, code: str) -> int:
    """The county's meter reader proposes a correction of the last closed month of one
    single-rate meter in his scope; 0 when no month is closed yet or his proposal still waits."""
    reader = actor_from_username(platform, f"meter_reader.{code}-{STATION_SUFFIX}")
    with platform.uow(reader, readonly=True) as uow:
        if uow.session.scalar(
            select(UsageCorrectionRequest.id)
            .where(
                UsageCorrectionRequest.proposed_by == reader.username,
                UsageCorrectionRequest.status == CorrectionStatus.PENDING,
            )
            .limit(1)
        ):
            return 0
        found = uow.session.execute(
            select(Meter.asset_no, MonthlyUsage.period, MonthlyUsage.kwh)
            .join(Meter, Meter.id == MonthlyUsage.meter_id)
            .where(MonthlyUsage.peak_kwh.is_(None))
            .order_by(MonthlyUsage.period.desc(), Meter.asset_no)
            .limit(1)
        ).first()
    if found is None:
        return 0
    asset_no, period, kwh = found
    correction_requests.do_propose_correction(
        platform.uow(reader),
        correction_requests.Proposal(
            asset_no,
            period,
            Figures(kwh + CORRECTION_ADDS),
            CORRECTION_REASON,
            CORRECTION_EVIDENCE,
        ),
    )
    return 1
