"""Use cases over the audit log itself: reading it page by page (searched by person,
action, object, unit and time range) and verifying the chain. Both the API and the
console call these."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Engine, false, select
from sqlalchemy.orm import Session

from safegrid.org.models import OrgUnit
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.paging import Page
from safegrid.platform.uow import UnitOfWork
from safegrid.security import audit
from safegrid.security.models import AuditEntry, StaffAccount
from safegrid.security.schemas import AuditEntryOut
from safegrid.security.scope import unscoped


class AuditQuery(BaseModel):
    """What an auditor searches by; every part optional, all parts together (AND)."""

    who: str | None = Field(None, max_length=64)  # a username
    # An action ("auth.login"), or an area of them ending in "." or "*" ("counter.").
    action: str | None = Field(None, max_length=64)
    object_type: str | None = Field(None, max_length=64)
    object_id: str | None = Field(None, max_length=64)
    unit_id: int | None = Field(None, gt=0)  # the unit and everything under it
    date_from: date | None = None  # business days (Beijing)
    date_to: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BUSINESS_TZ)


def conditions(session: Session, q: AuditQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if q.who:
        # The person may work outside the auditor's unit while acting on objects inside it.
        account = session.scalar(
            select(StaffAccount.id)
            .where(StaffAccount.username == q.who.strip())
            .execution_options(**unscoped("audit search names the acting person by username"))
        )
        where.append(AuditEntry.actor_id == account if account is not None else false())
    if q.action:
        action = q.action.strip()
        if action.endswith((".", "*")):
            # "counter." or "auth*": every action of an area (a LIKE, not index-backed).
            where.append(AuditEntry.action.startswith(action.rstrip("*"), autoescape=True))
        else:
            where.append(AuditEntry.action == action)  # walks the (action, seq) index
    if q.object_type:
        where.append(AuditEntry.object_type == q.object_type.strip())
    if q.object_id:
        where.append(AuditEntry.object_id == q.object_id.strip())
    if q.unit_id is not None:
        path = select(OrgUnit.path).where(OrgUnit.id == q.unit_id).scalar_subquery()
        where.append(
            AuditEntry.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(path)))
        )
    if q.date_from is not None:
        where.append(AuditEntry.at >= _day_start(q.date_from))
    if q.date_to is not None:
        where.append(AuditEntry.at < _day_start(q.date_to + timedelta(days=1)))
    return where


def list_audit(
    uow: UnitOfWork, page: int, size: int, query: AuditQuery | None = None
) -> Page[AuditEntryOut]:
    with uow:
        where: list[Any] = conditions(uow.session, query) if query is not None else []
        items, total = audit.list_entries(uow.session, (page - 1) * size, size, where)
        out = [AuditEntryOut.model_validate(e) for e in items]
    return Page[AuditEntryOut](items=out, total=total, page=page, size=size)


def do_verify_chain(engine: Engine, uow: UnitOfWork) -> audit.VerifyResult:
    """Walk the whole chain (outside any write lock), then record that it was checked and
    what was found — a verification is itself an auditable act (AUD-2)."""
    with engine.connect() as conn:
        result = audit.verify(conn)
    note = (
        f"intact: {result.checked} entries"
        if result.ok
        else f"BROKEN at entry {result.broken_seq}: {result.reason}"
    )
    with uow:
        uow.audit("audit.verify", object_type="audit_chain", note=note)
        uow.commit()
    return result
