"""Each account's profile as of a moment: the features of the groups in
safegrid.analytics.profile.groups, from the year of bills, payments, collection steps,
portal use and applications before that moment, read through the caller's scoped unit of
work in a handful of set-based statements; and the label the weights learn from (was a
period's bill paid by its due date).

The same reader serves training (as of the day the labelled bills were issued, so nothing
the label depends on leaks into the features) and the similarity search (as of now)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select

from safegrid.analytics.profile.groups import FEATURES
from safegrid.applications.models import ApplicationChannel, BusinessApplication
from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection.models import (
    InstalmentPlan,
    LateFeeAccrual,
    Reminder,
    WriteOff,
    WriteOffKind,
)
from safegrid.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Meter,
    RecordStatus,
    SupplyPoint,
)
from safegrid.payments.ledger.models import Payment, PaymentChannel
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.portal.models import FeedbackKind, PortalBinding, PortalFeedback

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

WINDOW = timedelta(days=365)
ONLINE = (PaymentChannel.ONLINE_SANDBOX, PaymentChannel.ONLINE_WECHAT)


def profile_frame(session: Session, before: datetime) -> pd.DataFrame:
    """Active accounts opened before ``before``: index account_id; columns number,
    org_unit_id, category and FEATURES (numbers, none missing)."""
    since = before - WINDOW
    accounts = _frame(
        session,
        select(
            Account.id,
            Account.number,
            Account.org_unit_id,
            Account.tariff_category,
            Account.opened_on,
            Customer.kind,
        )
        .join(Customer, Customer.id == Account.customer_id)
        .where(Account.status == RecordStatus.ACTIVE, Account.opened_on < before.date()),
        ["account_id", "number", "org_unit_id", "category", "opened_on", "kind"],
    ).set_index("account_id")
    out = accounts[["number", "org_unit_id", "category"]].copy()
    opened = pd.to_datetime(accounts["opened_on"])
    out["years_open"] = (pd.Timestamp(before.date()) - opened).dt.days / 365.25
    out["enterprise"] = (accounts["kind"] == CustomerKind.ENTERPRISE).astype(float)
    for category in ("residential", "commercial", "industrial"):
        out[category] = (accounts["category"] == category).astype(float)
    points = _by_account(
        session,
        select(
            SupplyPoint.account_id,
            func.sum(SupplyPoint.capacity_kva),
            func.max(case((Meter.is_tou, 1), else_=0)),
        )
        .outerjoin(Meter, Meter.supply_point_id == SupplyPoint.id)
        .group_by(SupplyPoint.account_id),
        ["capacity", "tou"],
    )
    out["log_capacity"] = np.log1p(_col(out, points, "capacity"))
    out["tou_meter"] = _col(out, points, "tou")
    bills = _bills(session, since, before)
    _bill_features(out, bills, before)
    _collection_features(out, session, since, before)
    _channel_features(out, session, since, before)
    return out[["number", "org_unit_id", "category", *FEATURES]]


def arrears_label(session: Session, today: datetime) -> tuple[pd.Series, datetime, str]:
    """The label: 1 where the account's bill of the newest period whose bills are all past
    their due dates was not paid in full by its due date. Returns the labels (by
    account_id), the moment that period's first bill was issued, and the period."""
    row = session.execute(
        select(Bill.period, func.min(Bill.issued_at))
        .where(Bill.kind == BillKind.NORMAL, Bill.status == BillStatus.ISSUED)
        .group_by(Bill.period)
        .having(func.max(Bill.due_date) < today.astimezone(BUSINESS_TZ).date())
        .order_by(Bill.period.desc())
        .limit(1)
    ).first()
    if row is None:
        raise ValueError("没有已过缴费期限的账单 / no period whose bills are all past due")
    period, first_issued = row
    bills = _frame(
        session,
        _bill_select().where(
            Bill.period == period, Bill.kind == BillKind.NORMAL, Bill.status == BillStatus.ISSUED
        ),
        ["bill_id", "account_id", "kwh", "amount", "due_date"],
    )
    bills = _paid(session, bills, today)
    late = (~bills["paid_by_due"]).astype(int)
    return late.groupby(bills["account_id"]).max(), first_issued, str(period)


def _frame(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)


def _by_account(session: Session, stmt: Any, names: list[str]) -> pd.DataFrame:
    frame = _frame(session, stmt, ["account_id", *names]).set_index("account_id")
    return frame.astype("float64")


def _col(out: pd.DataFrame, frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].reindex(out.index).fillna(0.0).astype("float64")


def _bill_select() -> Any:
    return select(Bill.id, Bill.account_id, Bill.kwh, Bill.amount, Bill.due_date)


def _bills(session: Session, since: datetime, before: datetime) -> pd.DataFrame:
    bills = _frame(
        session,
        _bill_select().where(
            Bill.kind == BillKind.NORMAL,
            Bill.status == BillStatus.ISSUED,
            Bill.issued_at >= since,
            Bill.issued_at < before,
        ),
        ["bill_id", "account_id", "kwh", "amount", "due_date"],
    )
    return _paid(session, bills, before)


def _paid(session: Session, bills: pd.DataFrame, before: datetime) -> pd.DataFrame:
    """Adds ``paid_by_due`` (principal paid in full by the end of the due day, business
    time) and ``open`` (principal still owed at ``before``), both from write-offs made
    before ``before`` (an unwind takes a payment back)."""
    bills = bills.astype({"kwh": "float64", "amount": "float64"})
    ids = [int(b) for b in bills["bill_id"]]
    sign = case((WriteOff.kind == WriteOffKind.UNWIND, -1), else_=1)
    rows: list[Any] = []
    for start in range(0, len(ids), 5000):  # a bound IN list stays within driver limits
        rows += session.execute(
            select(
                WriteOff.bill_id,
                (WriteOff.amount - WriteOff.late_fee_part) * sign,
                WriteOff.written_at,
            ).where(WriteOff.bill_id.in_(ids[start : start + 5000]), WriteOff.written_at < before)
        ).all()
    w = pd.DataFrame(rows, columns=["bill_id", "principal", "at"])
    w["principal"] = w["principal"].astype("float64")
    w["at"] = pd.to_datetime(w["at"], utc=True)
    due_end = (
        (pd.to_datetime(bills["due_date"]) + pd.Timedelta(days=1))
        .dt.tz_localize(BUSINESS_TZ)
        .dt.tz_convert("UTC")
    )
    w["due_end"] = w["bill_id"].map(dict(zip(bills["bill_id"], due_end, strict=True)))
    by_due = w.loc[w["at"] < w["due_end"]].groupby("bill_id")["principal"].sum()
    total = w.groupby("bill_id")["principal"].sum()
    owed = bills["amount"] - 0.005
    bills["paid_by_due"] = (bills["bill_id"].map(by_due).fillna(0.0) >= owed).to_numpy()
    bills["open"] = (bills["bill_id"].map(total).fillna(0.0) < owed).to_numpy()
    return bills


def _bill_features(out: pd.DataFrame, bills: pd.DataFrame, before: datetime) -> None:
    g = bills.groupby("account_id")
    kwh_mean = g["kwh"].mean().reindex(out.index).fillna(0.0)
    kwh_std = g["kwh"].std(ddof=0).reindex(out.index).fillna(0.0)
    out["log_kwh"] = np.log1p(kwh_mean.clip(lower=0))
    out["kwh_cv"] = (kwh_std / kwh_mean.where(kwh_mean > 0)).fillna(0.0)
    out["log_bill"] = np.log1p(g["amount"].mean().reindex(out.index).fillna(0.0).clip(lower=0))
    due = bills[pd.to_datetime(bills["due_date"]) < pd.Timestamp(_local_day_start(before))]
    late = (~due["paid_by_due"]).groupby(due["account_id"]).mean()
    out["late_share"] = late.reindex(out.index).fillna(0.0)
    out["open_bills"] = due["open"].groupby(due["account_id"]).sum().reindex(out.index)
    out["open_bills"] = out["open_bills"].fillna(0.0).astype("float64")


def _local_day_start(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(BUSINESS_TZ).date(), time())


def _collection_features(
    out: pd.DataFrame, session: Session, since: datetime, before: datetime
) -> None:
    first, last = since.astimezone(BUSINESS_TZ).date(), before.astimezone(BUSINESS_TZ).date()
    fees = select(Bill.account_id, func.count(LateFeeAccrual.id)).join(
        Bill, Bill.id == LateFeeAccrual.bill_id
    )
    fees = fees.where(LateFeeAccrual.day >= first, LateFeeAccrual.day < last)
    out["fee_days"] = _col(out, _by_account(session, fees.group_by(Bill.account_id), ["n"]), "n")
    reminders = (
        select(Bill.account_id, func.count(Reminder.id))
        .join(Bill, Bill.id == Reminder.bill_id)
        # Early reminders are the risk model's own opinion, not the customer's conduct.
        .where(Reminder.stage > 0, Reminder.sent_on >= first, Reminder.sent_on < last)
        .group_by(Bill.account_id)
    )
    out["reminders"] = _col(out, _by_account(session, reminders, ["n"]), "n")
    plans = (
        select(InstalmentPlan.account_id, func.count(InstalmentPlan.id))
        .where(InstalmentPlan.created_at >= since, InstalmentPlan.created_at < before)
        .group_by(InstalmentPlan.account_id)
    )
    out["plans"] = _col(out, _by_account(session, plans, ["n"]), "n")


def _channel_features(
    out: pd.DataFrame, session: Session, since: datetime, before: datetime
) -> None:
    online = case((Payment.channel.in_(ONLINE), 1), else_=0)
    debit = case((Payment.channel == PaymentChannel.BANK_DIRECT_DEBIT, 1), else_=0)
    payments = _by_account(
        session,
        select(Payment.account_id, func.count(Payment.id), func.sum(online), func.sum(debit))
        .where(Payment.captured_at >= since, Payment.captured_at < before)
        .group_by(Payment.account_id),
        ["n", "online", "debit"],
    )
    n = payments["n"].where(payments["n"] > 0)
    payments["online_share"] = (payments["online"] / n).fillna(0.0)
    payments["debit_share"] = (payments["debit"] / n).fillna(0.0)
    out["online_share"] = _col(out, payments, "online_share")
    out["debit_share"] = _col(out, payments, "debit_share")
    complaint = case((PortalFeedback.kind == FeedbackKind.COMPLAINT, 1), else_=0)
    feedback = _by_account(
        session,
        select(PortalFeedback.account_id, func.count(PortalFeedback.id), func.sum(complaint))
        .where(PortalFeedback.created_at >= since, PortalFeedback.created_at < before)
        .group_by(PortalFeedback.account_id),
        ["n", "complaints"],
    )
    out["complaints"] = _col(out, feedback, "complaints")
    out["portal_feedback"] = _col(out, feedback, "n")
    portal = case((BusinessApplication.channel == ApplicationChannel.PORTAL, 1), else_=0)
    applications = _by_account(
        session,
        select(BusinessApplication.account_id, func.count(BusinessApplication.id), func.sum(portal))
        .where(BusinessApplication.submitted_at >= since, BusinessApplication.submitted_at < before)
        .group_by(BusinessApplication.account_id),
        ["n", "portal"],
    )
    out["applications"] = _col(out, applications, "n")
    out["portal_applications"] = _col(out, applications, "portal")
    bound = session.scalars(select(PortalBinding.account_id).where(PortalBinding.bound_at < before))
    out["portal_bound"] = out.index.isin(list(bound)).astype(float)
