"""Use cases over the audit log itself: reading it page by page and verifying the chain.
Both the API and the console call these."""

from __future__ import annotations

from sqlalchemy import Engine

from safegrid.platform.paging import Page
from safegrid.platform.uow import UnitOfWork
from safegrid.security import audit
from safegrid.security.schemas import AuditEntryOut


def list_audit(uow: UnitOfWork, page: int, size: int) -> Page[AuditEntryOut]:
    with uow:
        items, total = audit.list_entries(uow.session, (page - 1) * size, size)
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
