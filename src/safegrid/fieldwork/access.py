"""What a contractor may see (IAM-7), computed when his session or CLI identity resolves."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegrid.customers.models import Meter
from safegrid.fieldwork.models import LIVE_STATUSES, WorkOrder
from safegrid.platform import clock
from safegrid.security.policy import Post
from safegrid.security.scope import ContractorView, unscoped

_NOTHING: frozenset[int] = frozenset()


class ContractorAccount(Protocol):
    """An account as an entity or as the columns a request read (``authn.SessionAccount``)."""

    @property
    def id(self) -> int: ...
    @property
    def post(self) -> Post: ...
    @property
    def service_ends_on(self) -> date | None: ...


def contractor_view_of(session: Session, account: ContractorAccount) -> ContractorView | None:
    """None for staff; for a contractor, the meters (and their supply points) of his live
    work orders inside his unit's subtree. Without a service end date, or after it, the
    sets are empty: access fails closed rather than open."""
    if account.post != Post.CONTRACTOR:
        return None
    ends = account.service_ends_on
    if ends is None or clock.business_day() > ends:
        return ContractorView(account.id, _NOTHING, _NOTHING, ended=True)
    rows = session.execute(
        select(Meter.id, Meter.supply_point_id)
        .join(WorkOrder, WorkOrder.meter_id == Meter.id)
        .where(WorkOrder.assignee_id == account.id, WorkOrder.status.in_(LIVE_STATUSES)),
        # Only the ids are read here; the org-subtree rule still applies to every later query.
        execution_options=unscoped("a contractor's own orders, to build his scope"),
    ).all()
    return ContractorView(account.id, frozenset(r[0] for r in rows), frozenset(r[1] for r in rows))
