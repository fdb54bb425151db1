"""``safegrid export trace``: read a file's embedded watermark back, verify its signature
and its export record, say who exported it when under which request (DATA-5). A forged or
altered watermark is refused with a clear error, and every attempt is audited."""

from __future__ import annotations

import hashlib
from datetime import datetime

from safegrid.datause.repository import DataUseRepository
from safegrid.datause.schemas import TraceOut
from safegrid.datause.watermark import WatermarkError, read_token, verify, watermark_key
from safegrid.platform.uow import UnitOfWork


def do_trace(uow: UnitOfWork, content: bytes, secret: str, source: str) -> TraceOut:
    digest = hashlib.sha256(content).hexdigest()
    with uow:
        try:
            payload = verify(watermark_key(secret), read_token(content))
            record = DataUseRepository(uow).export(int(payload.get("export_id") or 0))
            if record is None:
                raise WatermarkError(
                    f"没有编号为 {payload.get('export_id')} 的导出记录（或不在您的范围内）/ no export "
                    f"record #{payload.get('export_id')} in your area"
                )
            if record.watermark_fields() != payload:
                raise WatermarkError(
                    "水印与导出记录不符 / the watermark does not match its export record"
                )
        except WatermarkError as exc:
            uow.audit(
                "datause.trace_failed",
                object_type="export",
                after={"file": source[:200], "sha256": digest},
                note=exc.message,
            )
            uow.commit()
            raise
        out = TraceOut(
            export_id=record.id,
            operator_id=record.operator_id,
            operator=record.operator_name,
            at=datetime.fromisoformat(str(payload["at"])),
            request_id=record.request_id,
            file_unchanged=record.sha256 == digest,
        )
        uow.audit(
            "datause.trace",
            object_type="export",
            object_id=record.id,
            org_unit_id=record.org_unit_id,
            after={"file": source[:200], "sha256": digest, "unchanged": out.file_unchanged},
        )
        uow.commit()
        return out
