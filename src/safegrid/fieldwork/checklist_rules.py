"""What makes a 三查三测 checklist complete (FLD-2): all six items recorded and passed."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegrid.fieldwork.safety_models import CheckItem, OrderCheck

MAX_GROUND_OHMS = Decimal(4)
ALL_ITEMS = tuple(CheckItem)


def incomplete(session: Session, order_ids: Sequence[int]) -> dict[int, str]:
    """order id → the items missing or failed, for the orders whose checklist is not done."""
    done: dict[int, set[CheckItem]] = {i: set() for i in order_ids}
    failed: dict[int, set[CheckItem]] = {i: set() for i in order_ids}
    rows = session.execute(
        select(OrderCheck.work_order_id, OrderCheck.item, OrderCheck.ok).where(
            OrderCheck.work_order_id.in_(list(order_ids))
        )
    )
    for order_id, item, ok in rows:
        (done if ok else failed)[order_id].add(item)
    out = {}
    for i in order_ids:
        gaps = [it.value for it in ALL_ITEMS if it not in done[i]]
        if gaps:
            out[i] = ", ".join(gaps)
    return out
