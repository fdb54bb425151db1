"""The cases an offline sync leaves (OPS-6): listed in the caller's scope, closed by the
hall's settlement staff with what was done (credit kept or refunded, cash found)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, PermissionDeniedError
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.offline.models import OfflineCase
from safegrid.security.policy import Perm


@dataclasses.dataclass(frozen=True)
class CaseRow:
    id: int
    kind: str
    receipt_no: str
    account_no: str
    amount: Decimal
    credited: Decimal
    message: str
    opened_at: datetime


def open_cases(uow: UnitOfWork, limit: int = 200) -> list[CaseRow]:
    with uow:
        rows = uow.session.scalars(
            select(OfflineCase)
            .where(OfflineCase.status == "open")
            .order_by(OfflineCase.opened_at, OfflineCase.id)
            .limit(limit)
        ).all()
        return [
            CaseRow(
                r.id,
                r.kind,
                r.receipt_no,
                r.account_no,
                r.amount,
                r.credited,
                r.message,
                r.opened_at,
            )
            for r in rows
        ]


def count_open(uow: UnitOfWork) -> int:
    """In the caller's open unit of work (the posture counts many things in one)."""
    stmt = select(func.count(OfflineCase.id)).where(OfflineCase.status == "open")
    return int(uow.session.scalar(stmt) or 0)


def do_close_case(uow: UnitOfWork, case_id: int, resolution: str) -> None:
    actor = uow.actor
    if not actor.can(Perm.COUNTER_SETTLE):
        raise PermissionDeniedError(
            "只有结算人员可以处理离线收款冲突 / only settlement staff close offline payment cases"
        )
    with uow:
        case = uow.session.scalars(
            select(OfflineCase).where(OfflineCase.id == case_id).with_for_update()
        ).first()
        if case is None:
            raise NotFoundError("离线收款冲突不存在 / offline payment case not found")
        if case.status != "open":
            raise ConflictError("该冲突已处理 / this case is already closed", field="status")
        case.status, case.closed_by, case.closed_at = "closed", actor.username, clock.now()
        case.resolution = resolution.strip()[:400]
        uow.audit(
            "offline.case_closed",
            object_type="offline_case",
            object_id=case.id,
            org_unit_id=case.org_unit_id,
            before={"status": "open"},
            after={"status": "closed", "resolution": case.resolution},
        )
        uow.commit()
