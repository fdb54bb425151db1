"""The callback inbox as finance sees it (PAY-7; ADR 0013): how much acknowledged money is
waiting for the ledger and since when, and the rows that need a person — refused at apply
time (the money arrived and could not be matched: return it or match it by hand) and stuck
(failed repeatedly). A stuck row can be put back once its cause is fixed. Rows are scoped
to the caller's units like every payment."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select

from safegrid.payments.online.callbacks.applier import MAX_ATTEMPTS
from safegrid.payments.online.callbacks.models import CallbackInbox, InboxState
from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.platform.uow import UnitOfWork

LISTED = 200


@dataclasses.dataclass(frozen=True)
class InboxRow:
    id: int
    channel: str
    trade_no: str
    order_no: str
    amount: Decimal
    received_at: datetime
    state: str
    attempts: int
    outcome: str | None
    stuck: bool


@dataclasses.dataclass(frozen=True)
class InboxView:
    pending: int
    applied: int
    refused: int
    stuck: int
    oldest_pending: datetime | None
    attention: list[InboxRow]  # refused and stuck rows, newest first


def _row(r: CallbackInbox) -> InboxRow:
    return InboxRow(
        r.id,
        r.channel,
        r.trade_no,
        r.order_no,
        r.amount,
        r.received_at,
        r.state.value,
        r.attempts,
        r.outcome,
        r.state == InboxState.PENDING and r.attempts >= MAX_ATTEMPTS,
    )


def inbox_view(uow: UnitOfWork) -> InboxView:
    with uow:
        s = uow.session
        is_stuck = CallbackInbox.attempts >= MAX_ATTEMPTS
        counts = dict(
            s.execute(select(CallbackInbox.state, func.count()).group_by(CallbackInbox.state)).all()
        )
        stuck = s.scalar(
            select(func.count()).where(CallbackInbox.state == InboxState.PENDING, is_stuck)
        )
        oldest = s.scalar(
            select(func.min(CallbackInbox.received_at)).where(
                CallbackInbox.state == InboxState.PENDING
            )
        )
        rows = s.scalars(
            select(CallbackInbox)
            .where(
                or_(
                    CallbackInbox.state == InboxState.REFUSED,
                    (CallbackInbox.state == InboxState.PENDING) & is_stuck,
                )
            )
            .order_by(CallbackInbox.id.desc())
            .limit(LISTED)
        ).all()
        return InboxView(
            pending=int(counts.get(InboxState.PENDING, 0)) - int(stuck or 0),
            applied=int(counts.get(InboxState.APPLIED, 0)),
            refused=int(counts.get(InboxState.REFUSED, 0)),
            stuck=int(stuck or 0),
            oldest_pending=oldest,
            attention=[_row(r) for r in rows],
        )


def do_put_back(uow: UnitOfWork, row_id: int) -> None:
    """A stuck row claimed again by the applier (its failure count reset), audited."""
    with uow:
        row = uow.session.scalars(
            select(CallbackInbox).where(CallbackInbox.id == row_id).with_for_update()
        ).first()
        if row is None:
            raise NotFoundError("回调记录不存在 / no such inbox row")
        if row.state != InboxState.PENDING or row.attempts < MAX_ATTEMPTS:
            raise ConflictError(
                "只有多次失败待人工处理的记录可以重新入账 / only a row that failed repeatedly "
                "can be put back",
                field="state",
            )
        before = {"attempts": row.attempts, "outcome": row.outcome}
        row.attempts = 0
        uow.audit(
            "payment.inbox_put_back",
            object_type="payment_callback_inbox",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
            before=before,
            after={"attempts": 0, "trade_no": row.trade_no},
        )
        uow.commit()
