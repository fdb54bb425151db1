"""Exports of the customer list of the caller's area (DATA-5): masked unless an approved
export request covers a field; rate-limited per user; watermarked; recorded in ``exports``
with the file's SHA-256; every unmasked cell is an access-log row."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from sqlalchemy import insert

from safegrid.datause import rate_limit
from safegrid.datause.events import DataExported
from safegrid.datause.export_files import write_csv, write_xlsx
from safegrid.datause.fields import revealable, value_of
from safegrid.datause.models import (
    AccessLog,
    DataUseGrant,
    ExportRecord,
    RequestKind,
    RequestStatus,
)
from safegrid.datause.repository import DataUseRepository
from safegrid.datause.reveal import RevealRefusedError
from safegrid.datause.schemas import ExportCreate, ExportOut
from safegrid.datause.settings import get_datause_settings
from safegrid.datause.watermark import sign, visible_text
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import mask

# (header, sensitive kind or None, how to read it)
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("客户编号 number", None),
    ("名称 name", None),
    ("类型 kind", None),
    ("身份证号 id_number", "id_number"),
    ("手机 mobile", "phone"),
    ("地址 address", "address"),
    ("信用代码 credit_code", None),
    ("单位 unit", None),
    ("状态 status", None),
)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclasses.dataclass(frozen=True)
class ExportFile:
    record: ExportOut
    content: bytes

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.record.format]


def _export_grant(uow: UnitOfWork, repo: DataUseRepository, request_id: int) -> DataUseGrant:
    req = repo.request(request_id)
    if req is None:
        raise ValidationProblem("导出申请不存在 / unknown export request", field="request_id")
    if req.requester_id != uow.actor.account_id:
        raise RevealRefusedError(
            "foreign", "该申请属于他人 / this request was filed by someone else"
        )
    if req.kind != RequestKind.EXPORT:
        raise ValidationProblem(
            "该申请不是导出申请 / this request is not an export request", field="request_id"
        )
    grant = repo.grant_of_request(req.id)
    if req.status != RequestStatus.APPROVED or grant is None:
        raise ConflictError(f"导出申请未获批准 / the export request is {req.status.value}")
    now = clock.now()
    if not grant.active_at(now):
        raise RevealRefusedError(
            "expired",
            "导出授权不在有效期内 / the export grant is not valid now (expired or not yet)",
        )
    return grant


def do_export_customers(uow: UnitOfWork, data: ExportCreate) -> ExportFile:
    actor = uow.actor
    now = clock.now()
    if actor.org_unit_id is None:
        raise ValidationProblem("只有员工账号可以导出 / only a staff account may export")
    with uow:
        repo = DataUseRepository(uow)
        grant = _export_grant(uow, repo, data.request_id) if data.request_id else None
        try:
            rate_limit.take(uow, "export", get_datause_settings().exports_per_hour)
        except rate_limit.RateLimitedError as exc:
            uow.audit(
                "datause.rate_limited",
                object_type="export",
                org_unit_id=actor.org_unit_id,
                after={"action": "export", "retry_after": exc.retry_after},
            )
            uow.commit()
            raise
        unmaskable = set(grant.fields) & set(revealable()) if grant else set()
        record = ExportRecord(
            operator_id=actor.account_id,
            operator_name=actor.username,
            at=now,
            dataset="customers",
            format=data.format,
            request_id=data.request_id,
            unmasked_fields=sorted(unmaskable),
            org_unit_id=actor.org_unit_id,
        )
        uow.session.add(record)
        uow.session.flush()
        rows: list[list[Any]] = []
        logs: list[dict[str, Any]] = []
        for customer, path, unit_name in repo.customers_with_paths():
            covered = grant is not None and grant.covers_customer(customer.id, path)
            row: list[Any] = [customer.number, customer.name, customer.kind.value]
            for kind in ("id_number", "phone", "address"):
                value = value_of(customer, kind)
                if value and covered and kind in unmaskable:
                    row.append(value)
                    logs.append(_log_row(uow, customer, kind, grant, record.id, now))
                else:
                    row.append(mask(kind, value) or "")
            row += [customer.credit_code or "", unit_name, customer.status.value]
            rows.append(row)
        payload = record.watermark_fields()
        token = sign(_key(), payload)
        header = [name for name, _ in COLUMNS]
        visible = visible_text(payload)
        if data.format == "csv":
            content = write_csv(header, rows, visible, token)
        else:
            content = write_xlsx("customers", header, rows, visible, token)
        record.row_count = len(rows)
        record.sha256 = hashlib.sha256(content).hexdigest()
        record.filename = f"customers-{record.id}.{data.format}"
        if logs:
            uow.session.execute(insert(AccessLog), logs)
        uow.audit(
            "datause.export",
            object_type="export",
            object_id=record.id,
            org_unit_id=record.org_unit_id,
            after={
                "rows": len(rows),
                "format": data.format,
                "request_id": data.request_id,
                "unmasked_fields": sorted(unmaskable),
                "unmasked_values": len(logs),
                "sha256": record.sha256,
            },
        )
        uow.emit(
            DataExported(
                export_id=record.id,
                operator_id=actor.account_id,
                row_count=len(rows),
                request_id=data.request_id,
            )
        )
        out = ExportOut.model_validate(record)
        uow.commit()
    return ExportFile(out, content)


def _key() -> bytes:
    from safegrid.bootstrap import get_platform
    from safegrid.datause.watermark import watermark_key

    return watermark_key(get_platform().settings.secret_key)


def _log_row(
    uow: UnitOfWork, customer: Any, kind: str, grant: Any, export_id: int, now: Any
) -> dict[str, Any]:
    return {
        "at": now,
        "staff_id": uow.actor.account_id,
        "staff_name": uow.actor.username,
        "channel": uow.actor.channel,
        "ip": uow.actor.ip,
        "customer_id": customer.id,
        "field": kind,
        "grant_id": grant.id,
        "export_id": export_id,
        "org_unit_id": customer.org_unit_id,
    }


def list_exports(uow: UnitOfWork, paging: PageQuery) -> Page[ExportOut]:
    with uow:
        items, total = DataUseRepository(uow).exports(paging)
        out = [ExportOut.model_validate(e) for e in items]
    return Page[ExportOut](items=out, total=total, page=paging.page, size=paging.size)
