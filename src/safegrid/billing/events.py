"""Facts of billing, published after commit and kept in the outbox. Collection keys its
receivables on bill ids: a completed run says which run's bills are new; a reversal says
which bill is cancelled and by which credit bill."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class BillRunCompleted(Event):
    run_id: int
    period: str
    org_unit_id: int
    bills_created: int
    total_amount: Decimal


@dataclasses.dataclass(frozen=True)
class BillReversed(Event):
    bill_id: int
    reversal_bill_id: int
    account_id: int
    org_unit_id: int
    period: str
    amount: Decimal  # of the original bill; the reversal carries its negative


@dataclasses.dataclass(frozen=True)
class BillsRepriced(Event):
    """A correction re-priced an account's bills from ``from_period`` on (退补, BILL-7):
    ``months`` were reversed and re-billed; ``difference`` is re-priced − original."""

    account_id: int
    org_unit_id: int
    from_period: str
    months: int
    difference: Decimal
