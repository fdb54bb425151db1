"""Re-pricing an account after its usage was corrected: the port readings asks through.

Billing builds on readings (a bill run prices ``monthly_usage``), so readings cannot call
billing itself. An approved correction (:mod:`.correction_requests`) asks the registered
:class:`Repricer` — billing's answer, :mod:`safegrid.billing.correction_repricing`,
registered by the composition root (:mod:`safegrid.bootstrap`) — inside its own unit of
work. Without one, approval is refused rather than applied without re-pricing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from safegrid.platform.uow import UnitOfWork


class Repricer(Protocol):
    def __call__(
        self, uow: UnitOfWork, account_id: int, period: str, reason: str
    ) -> tuple[int, Decimal]:
        """Re-price ``account_id``'s bills from ``period`` on inside ``uow`` (which the
        caller commits); returns the months adjusted and the total difference."""
        ...


_repricer: Repricer | None = None


def register(repricer: Repricer) -> None:
    global _repricer
    _repricer = repricer


def repricer() -> Repricer:
    if _repricer is None:
        raise RuntimeError("no Repricer registered: build the platform through safegrid.bootstrap")
    return _repricer
