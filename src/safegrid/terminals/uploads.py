"""Encrypted reading upload (DATA-7 "readings are encrypted before upload", BILL-2, IAM-1).

The batch is opened with the terminal's upload key (SM4-GCM; the AAD binds terminal, batch
id and send time), then goes through the same parse and validation as a reading file
(``readings.files`` → ``context`` → ``validation``) in the reader's own scope, so a meter
outside his reading areas is refused exactly as in a file import. All or nothing: one bad
reading refuses the batch.

- replayed batch id with the same content → the recorded result, nothing inserted;
  with other content → 409;
- payload failing the GCM tag (tampered, wrong key, re-dated, moved) → 422, audited as a
  refusal, nothing recorded, no plaintext anywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from safegrid.bootstrap import get_platform
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import context, files, intake, store
from safegrid.readings.imports import first_day
from safegrid.readings.models import ReadSource
from safegrid.readings.validation import validate
from safegrid.security import sm4
from safegrid.security.actor import Actor
from safegrid.terminals import keys, payload
from safegrid.terminals.events import TerminalBatchUploaded
from safegrid.terminals.models import TerminalUpload
from safegrid.terminals.repository import TerminalRepository
from safegrid.terminals.schemas import BatchPlaintext, UploadEnvelope, UploadResult

# A terminal's clock may run a little fast; a send time further ahead is refused. Late
# uploads are normal (a day offline in the mountains) and carry no limit.
CLOCK_SKEW = timedelta(minutes=10)
TAMPERED = (
    "上传数据未通过完整性校验（已记录） / the sealed batch failed authentication "
    "(GCM tag): tampered, re-dated or sealed with another key — refused and logged"
)


class UploadRefused(ValidationProblem):
    """Refused after authentication; the refusal itself is audited."""


def _refusal_audit(
    actor: Actor, terminal_id: int, org_unit_id: int, batch_id: str, reason: str
) -> None:
    with get_platform().uow(actor) as uow:
        uow.audit(
            "terminal.upload_refused",
            object_type="field_terminal",
            object_id=terminal_id,
            org_unit_id=org_unit_id,
            after={"batch_id": batch_id},
            note=reason[:300],
        )
        uow.commit()


def _open(key: bytes, code: str, env: UploadEnvelope) -> BatchPlaintext:
    plaintext = payload.open_batch(key, code, env.batch_id, env.sent_at, env.sealed)
    try:
        return BatchPlaintext.model_validate(json.loads(plaintext))
    except json.JSONDecodeError:
        raise UploadRefused("批次不是 JSON / the batch is not JSON", field="sealed") from None
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e.get("loc", ())) or "readings"
        raise UploadRefused(
            f"读数无效 / invalid reading at {where}: {e['msg']}", field=where
        ) from None


def do_upload_batch(uow: UnitOfWork, terminal_id: int, env: UploadEnvelope) -> UploadResult:
    """``uow`` acts as the meter reader (his scope: his reading areas)."""
    now = clock.now()
    sent_at = env.sent_at_time()
    org_unit_id = 0
    try:
        if sent_at > now + CLOCK_SKEW:
            raise UploadRefused("发送时间在未来 / sent_at lies in the future", field="sent_at")
        with uow:
            repo = TerminalRepository(uow)
            terminal = repo.own(terminal_id)
            org_unit_id = terminal.org_unit_id
            try:
                batch = _open(keys.decode(terminal.upload_key), terminal.code, env)
            except sm4.CryptoError:
                raise UploadRefused(TAMPERED, field="sealed") from None
            records: list[Mapping[str, str]] = [r.record() for r in batch.readings]
            digest = hashlib.sha256(
                json.dumps(records, sort_keys=True, ensure_ascii=False).encode()
            ).hexdigest()
            earlier = repo.upload(terminal_id, env.batch_id)
            if earlier is not None:
                if earlier.payload_sha256 != digest:
                    raise ConflictError(
                        "批次号已用于其他数据 / this batch id was already used for other readings",
                        field="batch_id",
                    )
                return UploadResult(
                    batch_id=earlier.batch_id,
                    upload_id=earlier.id,
                    readings=earlier.readings,
                    flagged=earlier.flagged,
                    replayed=True,
                )
            frame, problems = files.frame_from_records(records)
            ctx = context.load(uow, frame.asset_no, first_day(frame))
            reads = validate(frame, problems, ctx)
            if problems.error_count:
                first = problems.listed(limit=1)[0]
                raise UploadRefused(
                    f"{first.message}（共 {problems.error_count} 处 / {problems.error_count} "
                    "problem(s); nothing recorded)",
                    field=f"readings.{first.row - files.FIRST_DATA_ROW}.{first.field}",
                )
            # The same plausibility screen as every source: an implausible reading waits
            # for review, the rest of the batch is stored.
            screened = intake.screen(uow, reads)
            reads = screened.keep
            upload = TerminalUpload(
                terminal_id=terminal_id,
                batch_id=env.batch_id,
                reader_id=uow.actor.account_id,
                reader_username=uow.actor.username,
                readings=len(reads),
                flagged=reads.flagged,
                payload_sha256=digest,
                sent_at=sent_at,
                received_at=now,
                org_unit_id=terminal.org_unit_id,
            )
            uow.session.add(upload)
            terminal.last_seen_at = now
            try:
                uow.session.flush()
            except IntegrityError:
                raise ConflictError(
                    "该批次正在另一请求中记录 / this batch is being recorded by another request",
                    field="batch_id",
                ) from None
            store.write_register_reads(
                uow.session.connection(), reads, ReadSource.MANUAL, None, uow.actor.username
            )
            uow.audit(
                "terminal.upload",
                object_type="terminal_upload",
                object_id=upload.id,
                org_unit_id=terminal.org_unit_id,
                after={
                    "terminal": terminal.code,
                    "batch_id": env.batch_id,
                    "readings": len(reads),
                    "flagged": reads.flagged,
                    "sha256": digest,
                    "queued": len(screened.queued),
                },
            )
            intake.queue(
                uow,
                screened,
                ReadSource.MANUAL,
                None,
                intake.batch_reason("terminal", env.batch_id),
                "terminal_upload",
                upload.id,
            )
            uow.emit(
                TerminalBatchUploaded(
                    terminal_id=terminal_id,
                    upload_id=upload.id,
                    readings=len(reads),
                    org_unit_id=terminal.org_unit_id,
                )
            )
            uow.commit()
            return UploadResult(
                batch_id=env.batch_id,
                upload_id=upload.id,
                readings=len(reads),
                flagged=reads.flagged,
                replayed=False,
                queued=len(screened.queued),
                queued_counts=screened.queued_counts,
                held=sum(screened.held.values()),
            )
    except UploadRefused as exc:
        if org_unit_id:
            _refusal_audit(uow.actor, terminal_id, org_unit_id, env.batch_id, exc.message)
        raise
