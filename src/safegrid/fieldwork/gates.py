"""Why an order may not be dispatched or started now, asked of the workflows that opened it.

A disconnection opened by the arrears workflow may go ahead only while its notice stands;
that rule and its data belong to collection, which builds on field work (it opens the
orders), so field work does not import it: the composition root
(:mod:`safegrid.bootstrap`) registers collection's gate here and dispatch and start ask
every registered gate. Each gate answers ``{order id: reason}`` for the orders it refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from safegrid.fieldwork.models import WorkOrder


class Gate(Protocol):
    def __call__(
        self, session: Session, orders: Sequence[WorkOrder], today: date, *, starting: bool
    ) -> dict[int, str]: ...


_gates: dict[str, Gate] = {}


def register(name: str, gate: Gate) -> None:
    _gates[name] = gate


def problems(
    session: Session, orders: Sequence[WorkOrder], today: date, *, starting: bool
) -> dict[int, str]:
    """order id → the first reason a registered gate gives to hold it back."""
    found: dict[int, str] = {}
    for gate in _gates.values():
        for order_id, reason in gate(session, orders, today, starting=starting).items():
            found.setdefault(order_id, reason)
    return found
