"""A searched view of the audit log as a file (issue 13): watermarked like every export
(DATA-5: visible line + signed token, traced by ``safegrid export trace``), recorded in
``exports`` with its SHA-256, rate-limited with the other exports, and audited itself.
Audit entries hold no unmasked sensitive value (the mapping layer masks what it logs), so
the file is the page's columns, never more; at most ``MAX_ROWS`` entries, newest first."""

from __future__ import annotations

import hashlib
from typing import Final

from safegrid.datause import rate_limit
from safegrid.datause.events import DataExported
from safegrid.datause.export_files import write_csv
from safegrid.datause.exports import ExportFile, _key
from safegrid.datause.models import ExportRecord
from safegrid.datause.schemas import ExportOut
from safegrid.datause.settings import get_datause_settings
from safegrid.datause.watermark import sign, visible_text
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security import audit
from safegrid.security.audit_log import AuditQuery, conditions

MAX_ROWS: Final = 100_000
HEADER: Final = (
    "序号 seq",
    "时间 time",
    "人员 who",
    "渠道 channel",
    "IP",
    "操作 action",
    "对象 object",
    "对象编号 object id",
    "单位 unit",
    "说明 note",
    "哈希 hash",
)


def do_export_audit(uow: UnitOfWork, query: AuditQuery) -> ExportFile:
    actor = uow.actor
    if actor.org_unit_id is None:
        raise ValidationProblem("只有员工账号可以导出 / only a staff account may export")
    now = clock.now()
    with uow:
        rate_limit.take(uow, "export", get_datause_settings().exports_per_hour)
        record = ExportRecord(
            operator_id=actor.account_id,
            operator_name=actor.username,
            at=now,
            dataset="audit",
            format="csv",
            request_id=None,
            unmasked_fields=[],
            org_unit_id=actor.org_unit_id,
        )
        uow.session.add(record)
        uow.session.flush()
        entries, total = audit.list_entries(
            uow.session, 0, MAX_ROWS, conditions(uow.session, query)
        )
        rows = [
            (
                e.seq,
                e.at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_name,
                e.channel,
                e.ip or "",
                e.action,
                e.object_type,
                e.object_id or "",
                e.org_unit_id or "",
                e.note or "",
                e.hash,
            )
            for e in entries
        ]
        payload = record.watermark_fields()
        content = write_csv(HEADER, rows, visible_text(payload), sign(_key(), payload))
        record.row_count = len(rows)
        record.sha256 = hashlib.sha256(content).hexdigest()
        record.filename = f"audit-{record.id}.csv"
        uow.audit(
            "datause.export",
            object_type="export",
            object_id=record.id,
            org_unit_id=record.org_unit_id,
            after={
                "dataset": "audit",
                "rows": len(rows),
                "matching": total,
                "query": query.model_dump(mode="json", exclude_none=True),
                "sha256": record.sha256,
            },
        )
        uow.emit(
            DataExported(
                export_id=record.id,
                operator_id=actor.account_id,
                row_count=len(rows),
                request_id=None,
            )
        )
        out = ExportOut.model_validate(record)
        uow.commit()
    return ExportFile(out, content)
