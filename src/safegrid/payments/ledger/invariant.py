"""The ledger invariant (PAY-7), computed independently from three tables:

    Σ captured − Σ given back (refunds, voids) == Σ payment write-offs (net of unwinds)
                                                 + Σ account credit balances

It is what the crash test and the property test assert after every run; all sums are
integer fen in SQL (SQLite keeps NUMERIC as floating point).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session, aliased

from safegrid.collection.models import CollectionPosting, WriteOff, WriteOffKind
from safegrid.payments.ledger.models import AccountCredit, Payment, PaymentEvent, PaymentEventKind
from safegrid.security.scope import unscoped

PAYMENT_REFERENCE = "payment:%"


def _fen(column: Any) -> Any:
    return cast(func.coalesce(func.sum(cast(func.round(column * 100), BigInteger)), 0), BigInteger)


def _yuan(value: Any) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


@dataclasses.dataclass(frozen=True)
class LedgerTotals:
    captured: Decimal
    given_back: Decimal
    written_off: Decimal
    credit: Decimal
    payments: int
    # Σ (amount − refunded) over the payment rows: their running state must agree with
    # their events.
    on_payment_rows: Decimal

    @property
    def holds(self) -> bool:
        net = self.captured - self.given_back
        return net == self.written_off + self.credit == self.on_payment_rows


def ledger_totals(session: Session) -> LedgerTotals:
    """Utility-wide totals (not scoped: the invariant is about the whole ledger)."""
    captured, count = session.execute(
        select(_fen(PaymentEvent.amount), func.count(func.distinct(PaymentEvent.payment_id))).where(
            PaymentEvent.kind == PaymentEventKind.CAPTURED
        ),
        execution_options=unscoped("the ledger invariant is utility-wide"),
    ).one()
    given_back = session.scalar(
        select(_fen(PaymentEvent.amount)).where(PaymentEvent.kind != PaymentEventKind.CAPTURED),
        execution_options=unscoped("the ledger invariant is utility-wide"),
    )
    posted = (
        select(CollectionPosting.id)
        .where(CollectionPosting.reference.like(PAYMENT_REFERENCE))
        .scalar_subquery()
    )
    written = session.scalar(
        select(_fen(WriteOff.amount)).where(
            WriteOff.kind == WriteOffKind.PAYMENT, WriteOff.posting_id.in_(posted)
        ),
        execution_options=unscoped("the ledger invariant is utility-wide"),
    )
    original = aliased(WriteOff)
    unwound = session.scalar(
        select(_fen(WriteOff.amount))
        .join(original, original.id == WriteOff.unwinds_id)
        .where(WriteOff.kind == WriteOffKind.UNWIND, original.posting_id.in_(posted)),
        execution_options=unscoped("the ledger invariant is utility-wide"),
    )
    credit = session.scalar(
        select(_fen(AccountCredit.balance)),
        execution_options=unscoped("the ledger invariant is utility-wide"),
    )
    state = session.scalar(
        select(_fen(Payment.amount - Payment.refunded)),
        execution_options=unscoped("the ledger invariant is utility-wide"),
    )
    return LedgerTotals(
        captured=_yuan(captured),
        given_back=_yuan(given_back),
        written_off=_yuan(written) - _yuan(unwound),
        credit=_yuan(credit),
        payments=int(count or 0),
        on_payment_rows=_yuan(state),
    )
