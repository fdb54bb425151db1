"""客户360: everything staff need about one customer on one screen, each part shown only
to those whose post reads it (IAM-1), every query in the caller's scope (ORG-2).

The customer and its accounts come from the archive service (masked, DATA-3); balances and
open bills from the counter's account query; payments from the ledger search; usage from
the frozen monthly usage; the rest (work orders, notices, alerts) are small reads of their
own tables by the ids already on the page.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import func, or_, select

from safegrid.alerts.models import Alert
from safegrid.collection.models import DisconnectionNotice
from safegrid.customers.schemas import CustomerDetail
from safegrid.fieldwork.models import WorkOrder
from safegrid.payments.counter import queries as counter_queries
from safegrid.payments.counter.schemas import AccountAtCounter
from safegrid.payments.ledger import search as payment_search
from safegrid.payments.ledger.schemas import PaymentFilter, PaymentOut
from safegrid.platform.paging import PageQuery
from safegrid.readings.models import MonthlyUsage, RegisterRead
from safegrid.security.policy import Perm
from safegrid.security.work import Work

MONTHS: Final = 13
RECENT: Final = 10


@dataclasses.dataclass
class Overview:
    balances: dict[int, AccountAtCounter]  # by account id
    payments: list[PaymentOut]
    usage: list[tuple[str, Decimal]]  # (period, kWh), oldest first, for the chart
    reads: list[RegisterRead]
    work_orders: list[WorkOrder]
    notices: list[DisconnectionNotice]
    alerts: list[Alert]

    @property
    def outstanding(self) -> Decimal:
        return sum((b.outstanding for b in self.balances.values()), Decimal("0.00"))

    @property
    def credit(self) -> Decimal:
        return sum((b.credit for b in self.balances.values()), Decimal("0.00"))

    def chart(self) -> dict[str, Any]:
        return {"labels": [p for p, _ in self.usage], "kwh": [str(k) for _, k in self.usage]}


def overview(work: Work, customer: CustomerDetail) -> Overview:
    actor = work.actor
    account_ids = [a.id for a in customer.accounts]
    meter_ids = [m.id for a in customer.accounts for m in a.meters]
    balances = {}
    if actor.can(Perm.BILLS_VIEW):
        for a in customer.accounts:
            balances[a.id] = counter_queries.account_at_counter(work.read(), a.number)
    payments: list[PaymentOut] = []
    if actor.can(Perm.PAYMENTS_VIEW):
        for a in customer.accounts:
            found = payment_search.search(
                work.read(), PaymentFilter(account_number=a.number), PageQuery(page=1, size=RECENT)
            )
            payments.extend(found.items)
        payments.sort(key=lambda p: p.captured_at, reverse=True)
    with work.read() as uow:
        session = uow.session
        usage: list[tuple[str, Decimal]] = []
        reads: list[RegisterRead] = []
        if actor.can(Perm.READINGS_VIEW) and meter_ids:
            rows = session.execute(
                select(MonthlyUsage.period, func.sum(MonthlyUsage.kwh))
                .where(MonthlyUsage.meter_id.in_(meter_ids))
                .group_by(MonthlyUsage.period)
                .order_by(MonthlyUsage.period.desc())
                .limit(MONTHS)
            ).all()
            usage = [(p, Decimal(k or 0)) for p, k in reversed(rows)]
            reads = list(
                session.scalars(
                    select(RegisterRead)
                    .where(RegisterRead.meter_id.in_(meter_ids))
                    .order_by(RegisterRead.read_on.desc())
                    .limit(RECENT)
                )
            )
        orders: list[WorkOrder] = []
        if actor.can(Perm.WORKORDERS_VIEW) and meter_ids:
            orders = list(
                session.scalars(
                    select(WorkOrder)
                    .where(WorkOrder.meter_id.in_(meter_ids))
                    .order_by(WorkOrder.id.desc())
                    .limit(RECENT)
                )
            )
        notices: list[DisconnectionNotice] = []
        if actor.can(Perm.COLLECTION_VIEW) and account_ids:
            notices = list(
                session.scalars(
                    select(DisconnectionNotice)
                    .where(DisconnectionNotice.account_id.in_(account_ids))
                    .order_by(DisconnectionNotice.id.desc())
                    .limit(RECENT)
                )
            )
        alerts: list[Alert] = []
        if actor.can(Perm.ALERTS_VIEW):
            alerts = list(
                session.scalars(
                    select(Alert)
                    .where(
                        or_(
                            (Alert.object_type == "customers")
                            & (Alert.object_id == str(customer.id)),
                            (Alert.object_type == "accounts")
                            & Alert.object_id.in_([str(i) for i in account_ids]),
                            (Alert.object_type == "meters")
                            & Alert.object_id.in_([str(i) for i in meter_ids]),
                        )
                    )
                    .order_by(Alert.id.desc())
                    .limit(RECENT)
                )
            )
        session.expunge_all()
    return Overview(balances, payments[:RECENT], usage, reads, orders, notices, alerts)
