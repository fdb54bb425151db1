"""Utility ↔ channel, the first leg of the three-way check (REC-5): every trade of a
fetched settlement file against SafeGrid's ledger, and every online payment of a settled day
against the file. (Channel ↔ bank is the ``channel`` group of the matcher: the day's net.)

- ``trade_mismatch``: the channel settled a trade SafeGrid has no payment for, or another
  amount (a callback that lied, a dropped payment);
- ``not_settled``: SafeGrid recorded a payment for a day the channel settled, but the
  channel's file does not have it (a callback the channel never settled).
Both are red; their key is the trade or payment, so re-runs find the same items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from safegrid.org.models import OrgUnit
from safegrid.payments.ledger.models import Payment
from safegrid.payments.online.models import PaymentOrder
from safegrid.platform.sql_dialect import business_date
from safegrid.reconciliation import periods
from safegrid.reconciliation.models import ChannelSettlement, Colour, SettlementLine
from safegrid.reconciliation.system_side import KEPT, ONLINE


def check(session: Session, period: str, now: datetime, insert_items: Any) -> None:
    start, end = periods.utc_bounds(period)
    root = (
        select(OrgUnit.id)
        .where(OrgUnit.parent_id.is_(None))
        .order_by(OrgUnit.id)
        .limit(1)
        .scalar_subquery()
    )
    line, order, pay = SettlementLine, PaymentOrder, Payment
    mismatched = (
        select(
            literal(period),
            "trade:" + line.trade_no,
            literal(Colour.RED.value),
            literal("trade_mismatch"),
            literal("trade"),
            line.merchant_order_no,
            pay.amount,
            literal(1),
            literal(None),
            line.amount,
            line.amount - func.coalesce(pay.amount, 0),
            business_date(line.paid_at),
            "trade_mismatch: channel trade "
            + line.trade_no
            + " order "
            + line.merchant_order_no
            + " settled "
            + cast(line.amount, String)
            + ", ledger "
            + func.coalesce(cast(pay.amount, String), "none"),
            literal(now),
            func.coalesce(pay.org_unit_id, root),
        )
        .select_from(line)
        .outerjoin(order, order.order_no == line.merchant_order_no)
        .outerjoin(pay, and_(pay.id == order.payment_id, pay.status.in_(KEPT)))
        .where(
            line.paid_at >= start,
            line.paid_at < end,
            or_(pay.id.is_(None), pay.amount != line.amount),
        )
    )
    insert_items(session, mismatched)
    day = business_date(pay.captured_at)
    settled_day = exists().where(
        ChannelSettlement.channel == pay.channel, ChannelSettlement.settle_date == day
    )
    in_file = exists().where(line.merchant_order_no == order.order_no)
    unsettled = (
        select(
            literal(period),
            "payment:" + cast(pay.id, String),
            literal(Colour.RED.value),
            literal("not_settled"),
            literal("trade"),
            order.order_no,
            pay.amount,
            literal(1),
            literal(None),
            literal(None),
            -pay.amount,
            day,
            "not_settled: payment of order " + order.order_no + " missing from the channel's file",
            literal(now),
            pay.org_unit_id,
        )
        .select_from(pay)
        .join(order, order.payment_id == pay.id)
        .where(
            pay.captured_at >= start,
            pay.captured_at < end,
            pay.channel.in_(ONLINE),
            pay.status.in_(KEPT),
            settled_day,
            ~in_file,
        )
    )
    insert_items(session, unsettled)
