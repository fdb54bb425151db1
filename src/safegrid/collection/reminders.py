"""催费: payment reminders at configured days after the due date (BILL-6).

Once per bill and stage (a unique constraint), so the daily job can run any number of
times. A bill that skipped stages (e.g. the job did not run for a week) gets only the
latest stage reached, not a burst of old reminders.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select

from safegrid.billing.models import Bill
from safegrid.collection.arrears import arrears_query
from safegrid.collection.balances import yuan
from safegrid.collection.events import RemindersSent
from safegrid.collection.models import Reminder
from safegrid.collection.schemas import JobResult
from safegrid.collection.settings import get_collection_settings
from safegrid.customers.models import Account, Customer
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork

TOPIC = "arrears.reminder"


def do_send_reminders(uow: UnitOfWork, day: date | None = None) -> JobResult:
    day = day or clock.business_day()
    stages = sorted(set(get_collection_settings().reminder_days))
    with uow:
        session = uow.session
        q = arrears_query(session, day)
        sent = (
            select(Reminder.bill_id, func.max(Reminder.stage).label("stage"))
            .group_by(Reminder.bill_id)
            .subquery()
        )
        stmt = (
            q.stmt.add_columns(Account.number, Customer.mobile, func.coalesce(sent.c.stage, 0))
            .join(Account, Account.id == Bill.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .outerjoin(sent, sent.c.bill_id == Bill.id)
            .order_by(Bill.id)
        )
        messages: list[Message] = []
        reminders: list[dict[str, object]] = []
        for row in session.execute(stmt).all():
            *bill_cols, number, mobile, last_stage = row
            overdue = q.row(*bill_cols)
            reached = [s for s in stages if s <= overdue.days_overdue]
            if not reached or reached[-1] <= last_stage:
                continue
            bill = overdue.bill
            reminders.append(
                {
                    "bill_id": bill.id,
                    "stage": reached[-1],
                    "sent_on": day,
                    "org_unit_id": bill.org_unit_id,
                }
            )
            if mobile:
                messages.append(
                    Message(
                        channel="sms",
                        recipient=mobile,
                        topic=TOPIC,
                        body=(
                            f"您的户号{number} {bill.period}电费已逾期{overdue.days_overdue}天，"
                            f"欠费{yuan(overdue.arrears_fen)}元（含违约金），请尽快缴纳。"
                        ),
                        org_unit_id=bill.org_unit_id,
                        subject_type="bill",
                        subject_id=str(bill.id),
                    )
                )
        if not reminders:
            return JobResult(day=day, rows=0)
        ids = iter(OutboxNotifier(uow).send_many(messages))
        by_bill = {int(m.subject_id or 0): next(ids) for m in messages}
        for r in reminders:
            r["notification_id"] = by_bill.get(int(str(r["bill_id"])))
        session.execute(insert(Reminder), reminders)
        uow.audit(
            "arrears.send_reminders",
            object_type="collection_reminder",
            object_id=day.isoformat(),
            after={"day": day.isoformat(), "reminders": len(reminders), "messages": len(messages)},
        )
        uow.emit(RemindersSent(day, len(reminders)))
        uow.commit()
        return JobResult(day=day, rows=len(reminders))
