"""The bulk export the arrears-risk model reads (ANA-3): the caller's bills with the day
each was paid in full, the late-fee days, the reminders and the instalment plans — read
through the caller's scoped unit of work, in a few set-based statements."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection.models import (
    InstalmentPlan,
    LateFeeAccrual,
    Reminder,
    WriteOff,
    WriteOffKind,
)
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.uow import UnitOfWork

if TYPE_CHECKING:
    import pandas as pd

HISTORY_DAYS = 760  # two years of bills and the year of history before the oldest


def bill_history(uow: UnitOfWork, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``bills, reminders, plans`` as of the start of ``as_of`` (the input of
    arrears.features): a payment, fee, reminder or plan on or after it is left out."""
    import pandas as pd

    since = as_of - timedelta(days=HISTORY_DAYS)
    s = uow.session
    rows = s.execute(
        select(
            Bill.account_id,
            Bill.id,
            Bill.period,
            Bill.amount,
            Bill.issued_at,
            Bill.due_date,
            Bill.org_unit_id,
        )
        .where(Bill.kind == BillKind.NORMAL, Bill.status == BillStatus.ISSUED)
        .where(Bill.due_date >= since)
        .order_by(Bill.id)
    ).all()
    bills = pd.DataFrame(
        rows,
        columns=[
            "account_id",
            "bill_id",
            "period",
            "amount",
            "issued_at",
            "due_on",
            "org_unit_id",
        ],
    )
    bills["amount"] = bills["amount"].astype("float64")
    bills["issued_on"] = [_local_day(t) for t in bills.pop("issued_at")]
    bills = bills[bills["issued_on"] < as_of]
    bills["settled_on"] = bills["bill_id"].map(_settled_days(uow, since, as_of, bills))
    fees = s.execute(
        select(LateFeeAccrual.bill_id, func.min(LateFeeAccrual.day), func.count())
        .where(LateFeeAccrual.day >= since, LateFeeAccrual.day < as_of)
        .group_by(LateFeeAccrual.bill_id)
    ).all()
    fee = pd.DataFrame(fees, columns=["bill_id", "fee_from", "fee_days"]).set_index("bill_id")
    bills["fee_from"] = bills["bill_id"].map(fee["fee_from"])
    bills["fee_days"] = bills["bill_id"].map(fee["fee_days"]).fillna(0).astype("int64")
    reminders = pd.DataFrame(
        s.execute(
            select(Bill.account_id, Reminder.sent_on)
            .join(Bill, Bill.id == Reminder.bill_id)
            # Reminders the risk model itself sent before a due date (negative stage)
            # would teach it its own opinion.
            .where(Reminder.stage > 0, Reminder.sent_on >= since, Reminder.sent_on < as_of)
        ).all(),
        columns=["account_id", "sent_on"],
    )
    plans = pd.DataFrame(
        [
            (account, _local_day(at))
            for account, at in s.execute(
                select(InstalmentPlan.account_id, InstalmentPlan.created_at).where(
                    InstalmentPlan.created_at >= datetime.combine(since, time(), BUSINESS_TZ)
                )
            ).all()
        ],
        columns=["account_id", "created_on"],
    )
    plans = plans[(plans["created_on"] >= since) & (plans["created_on"] < as_of)]
    return bills.reset_index(drop=True), reminders, plans.reset_index(drop=True)


def _local_day(at: datetime) -> date:
    return at.astimezone(BUSINESS_TZ).date()


def _settled_days(
    uow: UnitOfWork, since: date, as_of: date, bills: pd.DataFrame
) -> dict[int, date | None]:
    """bill id → the business day its principal was last brought to zero (payments,
    adjustments and reversals; an unwind takes a payment back) before ``as_of``."""
    import pandas as pd

    rows = uow.session.execute(
        select(
            WriteOff.bill_id,
            WriteOff.kind,
            WriteOff.amount,
            WriteOff.late_fee_part,
            WriteOff.written_at,
        )
        .join(Bill, Bill.id == WriteOff.bill_id)
        .where(Bill.due_date >= since)
        .order_by(WriteOff.bill_id, WriteOff.written_at, WriteOff.id)
    ).all()
    zero = bills[bills["amount"] <= 0]
    settled: dict[int, date | None] = dict(zip(zero["bill_id"], zero["issued_on"], strict=True))
    w = pd.DataFrame(rows, columns=["bill_id", "kind", "amount", "fee", "at"])
    if w.empty:  # nothing written off yet: only zero bills are settled
        return settled
    w["day"] = [_local_day(t) for t in w["at"]]
    w = w[w["day"] < as_of]
    sign = w["kind"].map(lambda k: -1.0 if k == WriteOffKind.UNWIND else 1.0)
    w["principal"] = (w["amount"].astype("float64") - w["fee"].astype("float64")) * sign
    w["cum"] = w.groupby("bill_id")["principal"].cumsum()
    w["owed"] = w["bill_id"].map(bills.set_index("bill_id")["amount"])
    w["paid"] = w["cum"] >= w["owed"] - 0.005
    # Paid in full at the last row that crossed from owing to paid, if still paid at the end.
    last = w.groupby("bill_id").tail(1)
    still_paid = set(last.loc[last["paid"], "bill_id"])
    owing_rows = w[~w["paid"]].groupby("bill_id")["day"].max()
    crossing = w[w["paid"] & w["bill_id"].isin(still_paid)]
    crossing = crossing[
        crossing["day"] >= crossing["bill_id"].map(owing_rows).fillna(pd.Timestamp.min.date())
    ]
    settled.update(crossing.groupby("bill_id")["day"].min().to_dict())
    return settled
