"""The matcher's left side (REC-2): what SafeGrid says a month moved through the bank,
grouped as the bank shows it — one set-based query the matcher streams (amounts in fen and
days as offsets from the month's first day, so no Decimal or date object is built per row).

- ``deposit``: a hall's counter cash of a day, deposited as one sum (its bank voucher);
- ``voucher``: a payment carrying its own bank voucher (a direct debit with its bank's
  voucher) — one-to-one;
- ``card_day``: a hall's bank-card (POS) payments of a day: the acquirer settles a
  terminal's day as one credit (ref ``POS-<HALL CODE>-YYYYMMDD``), so the slips are summed
  as the bank will show them; an acquirer's fee shows as the difference (yellow or red);
- ``channel``: an online channel's day, settled as one sum to the utility's merchant
  account (ref ``<CHANNEL>-YYYYMMDD``) — booked at the root unit that holds that account;
- ``debit_day``: direct debits without vouchers, one sum per day (ref ``DD-YYYYMMDD``);
- ``refund``: money given back, a debit on the bank side (its event reference).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    Select,
    String,
    and_,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy import (
    cast as sql_cast,
)

from safegrid.org.models import OrgUnit
from safegrid.payments.counter.models import BankDeposit
from safegrid.payments.ledger.models import (
    Payment,
    PaymentChannel,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
)
from safegrid.platform.sql_dialect import business_date, days_between
from safegrid.reconciliation import periods
from safegrid.reconciliation.models import ChannelSettlement
from safegrid.security.scope import unscoped

WHOLE_UTILITY = unscoped("monthly reconciliation compares the whole utility's money")
ONLINE = (PaymentChannel.ONLINE_SANDBOX, PaymentChannel.ONLINE_WECHAT)
COUNTER = (PaymentChannel.COUNTER_CASH, PaymentChannel.COUNTER_CARD)
KEPT = (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED)


def _yyyymmdd(day: Any) -> Any:
    return func.replace(sql_cast(day, String), "-", "")


def fen(amount: Any) -> Any:
    """A money column as whole fen (exact: SQLite keeps it as REAL, hence the rounding)."""
    return sql_cast(func.round(amount * 100), BigInteger)


def groups(period: str) -> Select[Any]:
    """Columns: org_unit_id, kind, ref, day (days after the 1st), amount (fen), count."""
    first, last = periods.bounds(period)
    start, end = periods.utc_bounds(period)
    root = (
        select(OrgUnit.id)
        .where(OrgUnit.parent_id.is_(None))
        .order_by(OrgUnit.id)
        .limit(1)
        .scalar_subquery()
    )
    in_month = and_(
        Payment.captured_at >= start, Payment.captured_at < end, Payment.status.in_(KEPT)
    )
    day = business_date(Payment.captured_at)
    deposits = select(
        BankDeposit.org_unit_id, literal("deposit"), BankDeposit.bank_voucher,
        BankDeposit.business_day, BankDeposit.amount, literal(1, Integer),
    ).where(BankDeposit.business_day.between(first, last))  # fmt: skip
    vouchers = select(
        Payment.org_unit_id, literal("voucher"), Payment.bank_voucher, day, Payment.amount,
        literal(1, Integer),
    ).where(
        in_month, Payment.bank_voucher.is_not(None), Payment.channel.not_in(COUNTER)
    )  # fmt: skip
    cards = (
        select(
            Payment.hall_id.label("hall_id"),
            day.label("day"),
            func.sum(Payment.amount).label("gross"),
            func.count().label("n"),
        )
        .where(in_month, Payment.channel == PaymentChannel.COUNTER_CARD)
        .group_by(Payment.hall_id, day)
        .subquery("cards")
    )
    card_days = select(
        cards.c.hall_id, literal("card_day"),
        "POS-" + func.upper(OrgUnit.code) + "-" + _yyyymmdd(cards.c.day),
        cards.c.day, cards.c.gross, cards.c.n,
    ).join(OrgUnit, OrgUnit.id == cards.c.hall_id)  # fmt: skip
    channel_ref = (
        func.upper(func.replace(sql_cast(Payment.channel, String), "online_", ""))
        + "-"
        + _yyyymmdd(day)
    )
    gross = (
        select(
            Payment.channel.label("channel"),
            channel_ref.label("ref"),
            day.label("day"),
            func.sum(Payment.amount).label("gross"),
            func.count().label("n"),
        )
        .where(in_month, Payment.channel.in_(ONLINE), Payment.bank_voucher.is_(None))
        .group_by(Payment.channel, day)
        .subquery("gross")
    )
    # The bank receives the day's net: less the fees of the channel's settlement file
    # (REC-5) once it has been fetched.
    fee = ChannelSettlement
    channels = select(
        root, literal("channel"), gross.c.ref, gross.c.day,
        gross.c.gross - func.coalesce(fee.fee, 0), gross.c.n,
    ).outerjoin(
        fee, and_(fee.channel == gross.c.channel, fee.settle_date == gross.c.day)
    )  # fmt: skip
    debit_days = (
        select(
            root,
            literal("debit_day"),
            "DD-" + _yyyymmdd(day),
            day,
            func.sum(Payment.amount),
            func.count(),
        )
        .where(
            in_month,
            Payment.channel == PaymentChannel.BANK_DIRECT_DEBIT,
            Payment.bank_voucher.is_(None),
        )
        .group_by(day)
    )
    refunds = select(
        PaymentEvent.org_unit_id, literal("refund"), PaymentEvent.reference,
        business_date(PaymentEvent.at), -PaymentEvent.amount, literal(1, Integer),
    ).where(
        PaymentEvent.kind == PaymentEventKind.REFUNDED, PaymentEvent.at >= start, PaymentEvent.at < end
    )  # fmt: skip
    everything = union_all(deposits, vouchers, card_days, channels, debit_days, refunds).subquery()
    org_unit_id, kind, ref, day_col, amount, count = everything.c
    return select(
        org_unit_id, kind, ref, days_between(day_col, literal(first, Date)), fen(amount), count
    )
