"""To-do providers of the counter, the daily cash, refunds and payment risk (PAY-1, PAY-2,
PAY-5, PAY-7); registered in :mod:`safegrid.web.routes` (ADR 0024)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from sqlalchemy import case, func, select

from safegrid.payments.counter.models import CounterReceipt, DrawerSettlement, ReceiptStatus
from safegrid.payments.counter.settlement import last_overdue_day
from safegrid.payments.counter.shortages import CashDiscrepancy
from safegrid.payments.ledger.models import RefundRequest, RefundStatus
from safegrid.payments.risk.models import CaseStatus, RiskCase
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.todo import Tally, TodoProvider, tally_rows

# A case or a refund older than a working day keeps a customer waiting.
WAITING_TOO_LONG: Final = timedelta(hours=24)


def _me(uow: UnitOfWork) -> int:
    return uow.actor.account_id or -1


def receipts_to_check(uow: UnitOfWork) -> Tally:
    """Receipts of my hall signed by a cashier and not yet counted by a checker; never my
    own (the service refuses a checker confirming his own receipt)."""
    return tally_rows(
        uow,
        CounterReceipt,
        CounterReceipt.status == ReceiptStatus.RECORDED,
        CounterReceipt.cashier_id != _me(uow),
        overdue=CounterReceipt.business_day < clock.business_day(),
    )


def my_unchecked_receipts(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        CounterReceipt,
        CounterReceipt.status == ReceiptStatus.RECORDED,
        CounterReceipt.cashier_id == _me(uow),
        overdue=CounterReceipt.business_day < clock.business_day(),
    )


def differences_to_acknowledge(uow: UnitOfWork) -> Tally:
    """长短款 on my receipts the checker recorded and I have not signed yet."""
    return tally_rows(
        uow,
        CashDiscrepancy,
        CashDiscrepancy.cashier_id == _me(uow),
        CashDiscrepancy.acknowledged_at.is_(None),
        overdue=CashDiscrepancy.business_day < clock.business_day(),
    )


def deposits_due(uow: UnitOfWork) -> Tally:
    """Hall-days whose counted cash is not at the bank yet; overdue after 15:00 of the
    deadline day (PAY-2)."""
    late_day = last_overdue_day(clock.now())
    hall_days = (
        select(DrawerSettlement.org_unit_id, DrawerSettlement.business_day)
        .where(DrawerSettlement.deposit_id.is_(None))
        .distinct()
        .subquery()
    )
    late = case((hall_days.c.business_day <= late_day, 1), else_=0)
    with uow:
        count, overdue = uow.session.execute(
            select(func.count(), func.sum(late)).select_from(hall_days)
        ).one()
    return Tally(int(count or 0), int(overdue or 0))


def refunds_to_approve(uow: UnitOfWork) -> Tally:
    """Refund requests someone else asked for (no one approves his own, PAY-7)."""
    return tally_rows(
        uow,
        RefundRequest,
        RefundRequest.status == RefundStatus.PENDING,
        RefundRequest.requested_by_id != _me(uow),
        overdue=RefundRequest.requested_at < clock.now() - WAITING_TOO_LONG,
    )


def risk_cases_open(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        RiskCase,
        RiskCase.status.in_((CaseStatus.OPEN, CaseStatus.EXTENDED)),
        overdue=RiskCase.opened_at < clock.now() - WAITING_TOO_LONG,
    )


PROVIDERS: Final = (
    TodoProvider(
        "counter.receipts_to_check",
        N_("Receipts waiting for my check"),
        "funds",
        Perm.COUNTER_CHECK,
        "/counter/check",
        receipts_to_check,
        N_("from an earlier business day"),
    ),
    TodoProvider(
        "counter.my_unchecked",
        N_("My receipts not yet checked"),
        "charges",
        Perm.COUNTER_PAY,
        "/counter/desk",
        my_unchecked_receipts,
        N_("from an earlier business day"),
    ),
    TodoProvider(
        "counter.differences_to_acknowledge",
        N_("Cash differences to acknowledge (长短款)"),
        "charges",
        Perm.COUNTER_PAY,
        "/counter/desk",
        differences_to_acknowledge,
        N_("from an earlier business day"),
    ),
    TodoProvider(
        "counter.deposits_due",
        N_("Deposits due by 15:00"),
        "funds",
        Perm.COUNTER_SETTLE,
        "/counter/settlement",
        deposits_due,
        N_("past the 15:00 deadline"),
    ),
    TodoProvider(
        "ledger.refunds_to_approve",
        N_("Refunds waiting for my approval"),
        "funds",
        Perm.REFUNDS_APPROVE,
        "/payments/refunds",
        refunds_to_approve,
        N_("waiting more than a day"),
    ),
    TodoProvider(
        "risk.cases_open",
        N_("Risk cases to decide"),
        "security",
        Perm.RISK_CASES_DECIDE,
        "/payments/risk/cases",
        risk_cases_open,
        N_("waiting more than a day"),
    ),
)
