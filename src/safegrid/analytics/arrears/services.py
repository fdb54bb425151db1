"""ANA-3 in the collection workflow: every newly issued bill is scored once for the risk
that it will not be paid by its due date; a high-risk bill still unpaid a few days before
its due date gets an early reminder (a collection reminder of negative stage: days
*before* the due date, once per bill by the reminders' unique constraint), and high-risk
accounts already in arrears appear on the collectors' to-do list for an instalment offer
(safegrid.web.analytics.todo)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

from safegrid.analytics.arrears.history import bill_history
from safegrid.analytics.artefacts import ModelArtefact
from safegrid.analytics.models import ArrearsScore
from safegrid.billing.models import Bill
from safegrid.collection.balances import balance_select
from safegrid.collection.models import Reminder
from safegrid.customers.models import Account, Customer
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.platform import clock
from safegrid.platform.sql_dialect import insert_skipping_conflicts
from safegrid.platform.uow import UnitOfWork

if TYPE_CHECKING:
    import pandas as pd

HIGH_RISK: Final = 0.5  # from here a bill gets an early reminder and its account a to-do
EARLY_DAYS: Final = 3  # the early reminder goes out this many days before the due date
TOPIC: Final = "arrears.early_reminder"


def new_bills(bills: pd.DataFrame, day: date) -> pd.DataFrame:
    """The bills still open and not yet due on ``day``: the ones worth a prediction."""
    import pandas as pd

    due = pd.to_datetime(bills["due_on"]) >= pd.Timestamp(day)
    return bills[due & bills["settled_on"].isna()]


def do_store_scores(
    uow: UnitOfWork, model_id: int, scored: pd.DataFrame, bills: pd.DataFrame
) -> int:
    """Store ``scored`` (``bill_id, score, reason``), once per bill: a bill scored by an
    earlier run keeps the score that run gave it. Returns how many were new."""
    b = bills.set_index("bill_id")
    rows = scored.join(b[["account_id", "period", "org_unit_id"]], on="bill_id")
    rows["unit_rank"] = rows.groupby("org_unit_id")["score"].rank(ascending=False, method="first")
    now = clock.now()
    with uow:
        stmt = insert_skipping_conflicts(
            ArrearsScore.__table__, uow.session.get_bind().dialect.name
        )
        # RETURNING names only the rows inserted (a bulk rowcount is -1 on psycopg).
        inserted = uow.session.execute(
            stmt.returning(ArrearsScore.id),
            [
                {
                    "bill_id": int(r.bill_id),
                    "account_id": int(r.account_id),
                    "period": str(r.period),
                    "org_unit_id": int(r.org_unit_id),
                    "model_id": model_id,
                    "score": float(r.score),
                    "unit_rank": int(r.unit_rank),
                    "reason": str(r.reason)[:300],
                    "scored_at": now,
                }
                for r in rows.itertuples()
            ],
        )
        stored = len(inserted.all())
        uow.audit(
            "analytics.arrears_scored",
            object_type="arrears_scores",
            after={"bills": len(rows), "stored": stored, "model_id": model_id},
        )
        uow.commit()
        return stored


def do_send_early_reminders(uow: UnitOfWork, day: date | None = None) -> int:
    """An SMS reminder, EARLY_DAYS before the due date, for each high-risk bill still
    owing principal; recorded as a collection reminder of stage −EARLY_DAYS and linked to
    the score. Once per bill, also when two runs meet: the reminder's unique (bill, stage)
    skips a bill another run reminded first, and only the rows this run inserted are texted."""
    day = day or clock.business_day()
    with uow:
        s = uow.session
        stmt, cols = balance_select()
        rows = s.execute(
            stmt.add_columns(ArrearsScore.id, Account.number, Customer.mobile)
            .join(ArrearsScore, ArrearsScore.bill_id == Bill.id)
            .join(Account, Account.id == Bill.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(ArrearsScore.score >= HIGH_RISK, ArrearsScore.reminder_id.is_(None))
            .where(Bill.due_date >= day, Bill.due_date <= day + timedelta(days=EARLY_DAYS))
            .where(cols.principal_out > 0)
            .order_by(Bill.id)
        ).all()
        if not rows:
            return 0
        insert = insert_skipping_conflicts(Reminder.__table__, s.get_bind().dialect.name)
        inserted = dict(
            s.execute(
                insert.returning(Reminder.bill_id, Reminder.id),
                [
                    {
                        "bill_id": bill.id,
                        "stage": -EARLY_DAYS,
                        "sent_on": day,
                        "org_unit_id": bill.org_unit_id,
                    }
                    for bill, *_rest in rows
                ],
            ).all()
        )
        mine = [r for r in rows if r[0].id in inserted]
        texted = [r for r in mine if r[-1]]
        messages = [
            Message(
                channel="sms",
                recipient=mobile,
                topic=TOPIC,
                body=(
                    f"您的户号{number} {bill.period}电费{bill.amount}元"
                    f"将于{bill.due_date:%m月%d日}到期，请按时缴纳，如有困难可申请分次结算。"
                ),
                org_unit_id=bill.org_unit_id,
                subject_type="bill",
                subject_id=str(bill.id),
            )
            for bill, *_bal, _score_id, number, mobile in texted
        ]
        notes = dict(
            zip([r[0].id for r in texted], OutboxNotifier(uow).send_many(messages), strict=True)
        )
        for bill, *_bal, score_id, _number, _mobile in mine:
            reminder = s.get_one(Reminder, inserted[bill.id])
            reminder.notification_id = notes.get(bill.id)
            s.get_one(ArrearsScore, score_id).reminder_id = reminder.id
        uow.audit(
            "analytics.arrears_early_reminders",
            object_type="collection_reminder",
            object_id=day.isoformat(),
            after={"day": day.isoformat(), "reminders": len(mine), "messages": len(messages)},
        )
        uow.commit()
        return len(mine)


def score_new_bills(
    read: UnitOfWork, write: UnitOfWork, artefact: ModelArtefact, model_id: int, day: date
) -> dict[str, Any]:
    """Features of the open, not-yet-due bills as of ``day`` (read through ``read``), the
    model's scores, stored through ``write``."""
    from safegrid.analytics.arrears import model as arrears_model

    with read:
        bills, reminders, plans = bill_history(read, day + timedelta(days=1))
    if bills.empty:
        return {"bills": 0, "stored": 0}
    feats = arrears_model.features(bills, reminders, plans)
    targets = new_bills(bills, day)
    scored = arrears_model.score(artefact, feats.loc[targets["bill_id"]])
    stored = do_store_scores(write, model_id, scored, bills) if len(scored) else 0
    return {"bills": len(scored), "stored": stored}
