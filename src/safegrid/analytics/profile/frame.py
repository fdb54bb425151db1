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
from sqlalchemy import Float, case, func, select, type_coerce

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
    _bill_features(out, session, since, before)
    _collection_features(out, session, since, before)
    _channel_features(out, session, since, before)
    return out[["number", "org_unit_id", "category", *FEATURES]]


def arrears_label(session: Session, today: datetime) -> tuple[pd.Series, datetime, str]:
    """The label: 1 where the account's bill of the newest period whose bills are mostly
    past their due dates was not paid in full by its due date (a bill re-issued later, not
    yet due, is left out rather than holding the period back). Returns the labels (by
    account_id), the moment that period's first bill was issued, and the period."""
    day = today.astimezone(BUSINESS_TZ).date()
    row = session.execute(
        select(Bill.period, func.min(Bill.issued_at))
        .where(*_NORMAL)
        .group_by(Bill.period)
        .having(func.sum(case((Bill.due_date < day, 1), else_=0)) * 2 > func.count())
        .order_by(Bill.period.desc())
        .limit(1)
    ).first()
    if row is None:
        raise ValueError("没有已过缴费期限的账单 / no period whose bills are past due")
    period, first_issued = row
    late = _late_by_due(session, [*_NORMAL, Bill.period == period, Bill.due_date < day])
    return (late["late"] > 0).astype(int), first_issued, str(period)


_NORMAL = (Bill.kind == BillKind.NORMAL, Bill.status == BillStatus.ISSUED)


def _frame(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)


def _by_account(session: Session, stmt: Any, names: list[str]) -> pd.DataFrame:
    frame = _frame(session, stmt, ["account_id", *names]).set_index("account_id")
    return frame.astype("float64")


def _col(out: pd.DataFrame, frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].reindex(out.index).fillna(0.0).astype("float64")


def _owing(until: datetime) -> Any:
    """True where the bill's principal was not paid in full by ``until`` (write-offs
    before it; an unwind takes a payment back). Compared as floats with half a fen of
    slack: the sums are of fen amounts, SQLite adds them as doubles."""
    sign = case((WriteOff.kind == WriteOffKind.UNWIND, -1), else_=1)
    paid = (
        select(func.coalesce(func.sum((WriteOff.amount - WriteOff.late_fee_part) * sign), 0))
        .where(WriteOff.bill_id == Bill.id, WriteOff.written_at < until)
        .scalar_subquery()
    )
    return type_coerce(Bill.amount, Float) - type_coerce(paid, Float) > 0.005


def _late_by_due(session: Session, where: list[Any]) -> pd.DataFrame:
    """Per account: ``due`` bills matching ``where`` and how many of them were ``late``
    (not paid in full by the end of their due day, business time). One statement per due
    date, so each bill is judged against its own day with portable SQL."""
    days = session.scalars(select(Bill.due_date).where(*where).distinct()).all()
    parts = []
    for day in days:
        end = datetime.combine(day + timedelta(days=1), time(), BUSINESS_TZ)
        parts.append(
            _by_account(
                session,
                select(Bill.account_id, func.count(), func.sum(case((_owing(end), 1), else_=0)))
                .where(*where, Bill.due_date == day)
                .group_by(Bill.account_id),
                ["due", "late"],
            )
        )
    if not parts:
        return pd.DataFrame({"due": [], "late": []}, index=pd.Index([], name="account_id"))
    return pd.concat(parts).groupby(level=0).sum()


def _bill_features(out: pd.DataFrame, session: Session, since: datetime, before: datetime) -> None:
    window = [*_NORMAL, Bill.issued_at >= since, Bill.issued_at < before]
    kwh, amount = type_coerce(Bill.kwh, Float), type_coerce(Bill.amount, Float)
    sums = _by_account(
        session,
        select(Bill.account_id, func.avg(kwh), func.avg(kwh * kwh), func.avg(amount))
        .where(*window)
        .group_by(Bill.account_id),
        ["kwh", "kwh2", "amount"],
    )
    mean = _col(out, sums, "kwh")
    std = np.sqrt((_col(out, sums, "kwh2") - mean**2).clip(lower=0))
    out["log_kwh"] = np.log1p(mean.clip(lower=0))
    out["kwh_cv"] = (std / mean.where(mean > 0)).fillna(0.0)
    out["log_bill"] = np.log1p(_col(out, sums, "amount").clip(lower=0))
    due = [*window, Bill.due_date < before.astimezone(BUSINESS_TZ).date()]
    late = _late_by_due(session, due)
    out["late_share"] = (late["late"] / late["due"]).reindex(out.index).fillna(0.0)
    owed = _by_account(
        session,
        select(Bill.account_id, func.count()).where(*due, _owing(before)).group_by(Bill.account_id),
        ["n"],
    )
    out["open_bills"] = _col(out, owed, "n")


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
