"""Field orders of the arrears workflow (BILL-6 meets issue 16): an approved disconnection
notice opens a disconnection order per meter of the account, planned for the first day the
supply may be cut; a notice cancelled (arrears paid) cancels those not yet started; supply
restored after payment opens a reconnection order per meter, due within 24 hours.

The ``fieldwork.arrears`` subscriber receives the collection events from the outbox relay
(never inside the collection service) and acts as the system. Delivery is at least once: a
second delivery finds the orders by their origin key. The notice itself gates the order at
dispatch and start (:func:`disconnection_problems`, registered as a field work gate), so a cut
cannot go ahead on a notice paid before this subscriber heard of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegrid.collection.events import (
    DisconnectionNoticeCancelled,
    DisconnectionNoticeDecided,
    SupplyRestored,
)
from safegrid.collection.models import DisconnectionNotice, NoticeStatus
from safegrid.customers.models import Meter, RecordStatus, SupplyPoint
from safegrid.fieldwork.models import WorkOrder, WorkOrderKind, WorkOrderOrigin, WorkOrderStatus
from safegrid.fieldwork.origins import NOTICE, PAYMENT, SourcedOrder, open_sourced_in
from safegrid.fieldwork.services import NewWorkOrder
from safegrid.platform import clock, events
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.masking import snapshot
from safegrid.security.scope import unscoped

ACTOR = Actor.system("fieldwork.arrears", "job")
# Not yet under way: a cut that has started is the crew's and the supervisor's to stop.
_CANCELLABLE = (
    WorkOrderStatus.OPEN,
    WorkOrderStatus.ASSIGNED,
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.ACCEPTED,
)


def _meters(uow: UnitOfWork, account_ids: Sequence[int]) -> dict[int, list[int]]:
    """account id → its active meters, in id order."""
    found: dict[int, list[int]] = {}
    for account_id, meter_id in uow.session.execute(
        select(SupplyPoint.account_id, Meter.id)
        .join(Meter, Meter.supply_point_id == SupplyPoint.id)
        .where(SupplyPoint.account_id.in_(account_ids), Meter.status == RecordStatus.ACTIVE)
        .order_by(Meter.id)
    ):
        found.setdefault(account_id, []).append(meter_id)
    return found


def do_open_disconnections(uow: UnitOfWork, notice_ids: Sequence[int]) -> list[int]:
    """Disconnection orders for approved notices (a notice no longer approved opens
    nothing); the ids of the orders, opened now or before."""
    with uow:
        notices = list(
            uow.session.scalars(
                select(DisconnectionNotice)
                .where(
                    DisconnectionNotice.id.in_(notice_ids),
                    DisconnectionNotice.status == NoticeStatus.APPROVED,
                )
                .order_by(DisconnectionNotice.id)
            )
        )
        meters = _meters(uow, [n.account_id for n in notices])
        ids = open_sourced_in(
            uow,
            [
                SourcedOrder(
                    NOTICE,
                    str(n.id),
                    meter_id,
                    NewWorkOrder(
                        WorkOrderKind.DISCONNECT,
                        meter_id,
                        n.earliest_disconnect_on or clock.business_day(),
                    ),
                )
                for n in notices
                for meter_id in meters.get(n.account_id, [])
            ],
        )
        uow.commit()
        return ids


def do_cancel_disconnections(uow: UnitOfWork, notice_ids: Sequence[int]) -> list[int]:
    """Cancel the not yet started disconnection orders of these notices (paid or
    withdrawn); the ids cancelled."""
    with uow:
        orders = list(
            uow.session.scalars(
                select(WorkOrder)
                .join(WorkOrderOrigin, WorkOrderOrigin.work_order_id == WorkOrder.id)
                .where(
                    WorkOrderOrigin.source_type == NOTICE,
                    WorkOrderOrigin.source_ref.in_([str(n) for n in notice_ids]),
                    WorkOrder.kind == WorkOrderKind.DISCONNECT,
                    WorkOrder.status.in_(_CANCELLABLE),
                )
                .order_by(WorkOrder.id)
                .with_for_update()
            )
        )
        for o in orders:
            before = snapshot(o)
            o.status = WorkOrderStatus.CANCELLED
            o.stop_reason = "欠费已结清 / arrears paid: no disconnection"
            uow.audit(
                "workorder.closed",
                object_type="work_order",
                object_id=o.id,
                org_unit_id=o.org_unit_id,
                before=before,
                after=snapshot(o),
            )
        uow.commit()
        return [o.id for o in orders]


def do_open_reconnections(uow: UnitOfWork, restored: Sequence[SupplyRestored]) -> list[int]:
    """Reconnection orders, one per meter of each restored account, due within 24 h."""
    now = clock.now()
    with uow:
        meters = _meters(uow, [r.account_id for r in restored])
        ids = open_sourced_in(
            uow,
            [
                SourcedOrder(
                    NOTICE if r.notice_id is not None else PAYMENT,
                    str(r.notice_id) if r.notice_id is not None else r.reference,
                    meter_id,
                    NewWorkOrder(
                        WorkOrderKind.RECONNECT,
                        meter_id,
                        clock.business_day(now),
                        window_start=now,
                        window_end=now + timedelta(hours=24),
                    ),
                )
                for r in restored
                for meter_id in meters.get(r.account_id, [])
            ],
        )
        uow.commit()
        return ids


def receive(records: Sequence[events.EventRecord]) -> None:
    from safegrid.bootstrap import get_platform

    platform = get_platform()
    approved, cancelled, restored = [], [], []
    for record in records:
        event = record.event()
        if isinstance(event, DisconnectionNoticeDecided) and event.approved:
            approved.append(event.notice_id)
        elif isinstance(event, DisconnectionNoticeCancelled):
            cancelled.append(event.notice_id)
        elif isinstance(event, SupplyRestored):
            restored.append(event)
            if event.notice_id is not None:
                cancelled.append(event.notice_id)
    # A failure (e.g. another relay process opening the same orders at the same moment,
    # refused by the origin key) raises: the relay delivers again, and the retry finds
    # the orders by their origin.
    if approved:
        do_open_disconnections(platform.uow(ACTOR), approved)
    if cancelled:
        do_cancel_disconnections(platform.uow(ACTOR), cancelled)
    if restored:
        do_open_reconnections(platform.uow(ACTOR), restored)


events.subscribe(
    [DisconnectionNoticeDecided, DisconnectionNoticeCancelled, SupplyRestored],
    receive,
    name="fieldwork.arrears",
)


# A disconnection may go ahead while its notice stands (approved, or executed in the
# console); paid, rejected or withdrawn, it must not cut anyone's supply.
_STANDING = (NoticeStatus.APPROVED, NoticeStatus.EXECUTED)


def disconnection_problems(
    session: Session, orders: Sequence[WorkOrder], today: date, *, starting: bool
) -> dict[int, str]:
    """order id → why this disconnection may not be dispatched (or started) now."""
    cuts = [o.id for o in orders if o.kind == WorkOrderKind.DISCONNECT]
    if not cuts:
        return {}
    origin: dict[int, str] = {
        order_id: ref
        for order_id, ref in session.execute(
            select(WorkOrderOrigin.work_order_id, WorkOrderOrigin.source_ref).where(
                WorkOrderOrigin.work_order_id.in_(cuts), WorkOrderOrigin.source_type == NOTICE
            )
        )
    }
    notices = {
        str(n.id): n
        for n in session.scalars(
            select(DisconnectionNotice)
            .where(DisconnectionNotice.id.in_([int(ref) for ref in origin.values()]))
            # A contractor sees no notices, yet his cut must be gated on one.
            .execution_options(**unscoped("the disconnection gate reads the order's notice"))
        )
    }
    problems = {}
    for order_id, ref in origin.items():
        notice = notices[ref]
        if notice.status not in _STANDING:
            problems[order_id] = (
                f"停电通知#{notice.id} 已{notice.status.value}，不得停电 / "
                f"disconnection notice #{notice.id} is {notice.status.value}"
            )
        elif starting and notice.earliest_disconnect_on and today < notice.earliest_disconnect_on:
            problems[order_id] = (
                f"通知期未满，{notice.earliest_disconnect_on:%Y-%m-%d} 起方可停电 / the notice "
                f"period runs until {notice.earliest_disconnect_on:%Y-%m-%d}"
            )
    return problems
