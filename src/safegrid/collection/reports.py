"""Read models of collection: a bill's collection panel and the arrears list (BILL-5/6)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from safegrid.billing.models import Bill
from safegrid.collection.arrears import arrears_query, count_overdue
from safegrid.collection.balances import balances, yuan
from safegrid.collection.instalments import plan_out
from safegrid.collection.models import (
    OPEN_NOTICE,
    DisconnectionNotice,
    InstalmentPlan,
    InstalmentPlanBill,
    PlanStatus,
    Reminder,
    WriteOff,
)
from safegrid.collection.schemas import ArrearsRow, BillCollectionOut, WriteOffOut
from safegrid.customers.models import Account, Customer
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork


def get_bill_collection(uow: UnitOfWork, bill_id: int) -> BillCollectionOut:
    today = clock.business_day()
    with uow:
        session = uow.session
        row = session.execute(
            select(Bill, Account.number, Customer.name)
            .join(Account, Account.id == Bill.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Bill.id == bill_id)
        ).first()
        if row is None:
            raise NotFoundError("账单不存在 / bill not found")
        bill, account_number, customer_name = row
        balance = balances(session, [bill.id])[bill.id]
        write_offs = session.scalars(
            select(WriteOff).where(WriteOff.bill_id == bill.id).order_by(WriteOff.id)
        ).all()
        plan = session.scalars(
            select(InstalmentPlan)
            .join(InstalmentPlanBill, InstalmentPlanBill.plan_id == InstalmentPlan.id)
            .where(InstalmentPlanBill.bill_id == bill.id)
            .order_by((InstalmentPlan.status == PlanStatus.ACTIVE).desc(), InstalmentPlan.id.desc())
        ).first()
        overdue_days = (
            (today - bill.due_date).days
            if bill.due_date < today and balance.principal_out_fen > 0
            else 0
        )
        return BillCollectionOut(
            bill_id=bill.id,
            number=bill.number,
            account_id=bill.account_id,
            account_number=account_number,
            customer_name=customer_name,
            period=bill.period,
            kind=bill.kind.value,
            status=bill.status.value,
            amount=bill.amount,
            due_date=bill.due_date,
            written_off=yuan(balance.principal_written_fen),
            collected=yuan(balance.collected_fen),
            late_fee=yuan(balance.fee_total_fen),
            late_fee_paid=yuan(balance.fee_paid_fen),
            outstanding=yuan(balance.outstanding_fen),
            days_overdue=overdue_days,
            write_offs=[WriteOffOut.model_validate(w) for w in write_offs],
            plan=plan_out(session, plan) if plan is not None else None,
        )


def list_arrears(
    uow: UnitOfWork, paging: PageQuery, day: date | None = None, account_id: int | None = None
) -> Page[ArrearsRow]:
    day = day or clock.business_day()
    with uow:
        session = uow.session
        q = arrears_query(session, day, account_id=account_id)
        # The total rides on the page's rows (a window count): the balances behind the
        # arrears test are aggregated once per request, not once for the count and again
        # for the page — at province scope that aggregation is the page's cost (issue 13).
        stmt = (
            q.stmt.add_columns(
                Account.number,
                Customer.name,
                Customer.is_key_customer,
                func.count().over().label("total"),
            )
            .join(Account, Account.id == Bill.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .order_by(Bill.due_date, Bill.id)
            .offset(paging.offset)
            .limit(paging.size)
        )
        found = session.execute(stmt).all()
        # Past the last page there is no row to carry the total: count it on its own.
        total = int(found[0][-1]) if found else count_overdue(session, q)
        rows = [row[:-1] for row in found]
        bill_ids = [r[0].id for r in rows]
        account_ids = sorted({r[0].account_id for r in rows})
        reminders = dict(
            session.execute(
                select(Reminder.bill_id, func.count())
                .where(Reminder.bill_id.in_(bill_ids))
                .group_by(Reminder.bill_id)
            ).all()
        )
        notices: dict[int, DisconnectionNotice] = {}
        for n in session.scalars(
            select(DisconnectionNotice)
            .where(DisconnectionNotice.account_id.in_(account_ids))
            .order_by(DisconnectionNotice.id)
        ).all():
            # The open notice if there is one, else the latest.
            if n.account_id not in notices or notices[n.account_id].status not in OPEN_NOTICE:
                notices[n.account_id] = n
        items = []
        for row in rows:
            *cols, number, name, is_key = row
            o = q.row(*cols)
            notice = notices.get(o.bill.account_id)
            items.append(
                ArrearsRow(
                    bill_id=o.bill.id,
                    bill_number=o.bill.number,
                    account_id=o.bill.account_id,
                    account_number=number,
                    customer_name=name,
                    is_key_customer=bool(is_key),
                    period=o.bill.period,
                    due_date=o.bill.due_date,
                    days_overdue=o.days_overdue,
                    overdue=yuan(o.overdue_fen),
                    late_fee=yuan(o.balance.fee_out_fen),
                    outstanding=yuan(o.balance.outstanding_fen),
                    reminders_sent=int(reminders.get(o.bill.id, 0)),
                    notice_id=notice.id if notice else None,
                    notice_status=notice.status if notice else None,
                    in_plan=o.bill.id in q.plan_bills,
                    org_unit_id=o.bill.org_unit_id,
                )
            )
        return Page[ArrearsRow](items=items, total=total, page=paging.page, size=paging.size)
