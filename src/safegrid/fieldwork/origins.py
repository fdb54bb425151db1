"""Work orders other workflows open: disconnection and reconnection from the arrears
workflow (BILL-6), installation from an accepted 业扩 application. Each order records its
origin (source, kind, slot) under a unique key, so a request delivered twice opens its
orders once. A disconnection is gated on its notice still standing: the arrears workflow's
gate (collection.field_orders) answers through :mod:`safegrid.fieldwork.gates`.

For the 业扩 applications workflow, :func:`do_open_installations` is the service to call
when a new-connection application is accepted: a batch of :class:`InstallationRequest`,
each opening one installation order at the customer's site (a meter is optional — a new
connection has none yet), all in one transaction, audited; a repeated request returns the
order opened the first time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from safegrid.fieldwork.models import WorkOrderKind, WorkOrderOrigin
from safegrid.fieldwork.services import NewWorkOrder, open_in
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.uow import UnitOfWork

NOTICE = "disconnection_notice"
PAYMENT = "payment"  # a reconnection after a payment with no notice on record
APPLICATION = "application"


@dataclasses.dataclass(frozen=True)
class SourcedOrder:
    source_type: str
    source_ref: str
    slot: int  # the meter id, or the caller's position for a site without a meter
    order: NewWorkOrder


def open_sourced_in(uow: UnitOfWork, requests: Sequence[SourcedOrder]) -> list[int]:
    """Open each requested order in the caller's transaction, or return the one its origin
    opened before. The unique origin key decides: a concurrent duplicate fails its flush
    and rolls the caller's transaction back, and its retry finds the first one."""
    ids = []
    for r in requests:
        existing = uow.session.scalar(
            select(WorkOrderOrigin.work_order_id).where(
                WorkOrderOrigin.source_type == r.source_type,
                WorkOrderOrigin.source_ref == r.source_ref,
                WorkOrderOrigin.kind == r.order.kind,
                WorkOrderOrigin.slot == r.slot,
            )
        )
        if existing is not None:
            ids.append(existing)
            continue
        order = open_in(uow, r.order)
        uow.session.add(
            WorkOrderOrigin(
                work_order_id=order.id,
                source_type=r.source_type,
                source_ref=r.source_ref,
                kind=r.order.kind,
                slot=r.slot,
                created_at=clock.now(),
            )
        )
        uow.session.flush()
        ids.append(order.id)
    return ids


@dataclasses.dataclass(frozen=True)
class InstallationRequest:
    application_ref: str  # the application's number: the idempotency key with ``slot``
    org_unit_id: int
    site_lat: Decimal
    site_lon: Decimal
    planned_on: date
    meter_id: int | None = None  # the meter to install, if already in the archive
    slot: int = 0  # several installations for one application: 0, 1, 2 …
    assignee_id: int | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None


def do_open_installations(uow: UnitOfWork, requests: Sequence[InstallationRequest]) -> list[int]:
    """Installation orders (业扩) for accepted applications, all or nothing; returns the
    order ids in request order (the first order's id again for a repeated request)."""
    if not requests:
        raise ValidationProblem("未给出装表请求 / no installation requested", field="requests")
    for r in requests:
        if not r.application_ref.strip() or len(r.application_ref) > 64:
            raise ValidationProblem(
                "申请编号须为 1 到 64 个字符 / the application number needs 1 to 64 characters",
                field="application_ref",
            )
    with uow:
        ids = open_sourced_in(
            uow,
            [
                SourcedOrder(
                    APPLICATION,
                    r.application_ref,
                    r.slot,
                    NewWorkOrder(
                        WorkOrderKind.INSTALL,
                        r.meter_id,
                        r.planned_on,
                        r.assignee_id,
                        window_start=r.window_start,
                        window_end=r.window_end,
                        site_lat=r.site_lat,
                        site_lon=r.site_lon,
                        org_unit_id=r.org_unit_id,
                    ),
                )
                for r in requests
            ],
        )
        uow.commit()
        return ids
