"""Scanned bank deposit slips (PAY-2): PDF, PNG or JPEG, recognised by their first bytes
(not by the name or the browser's content type), at most ``slip_max_bytes``, stored once
under ``slip_dir/<hall id>/`` and never overwritten; the SHA-256 recorded with the deposit
is checked again whenever the file is read back, so a swapped file is noticed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from pathlib import Path
from typing import Final

from sqlalchemy import select

from safegrid.payments.counter import halls
from safegrid.payments.counter.events import DepositSlipUploaded
from safegrid.payments.counter.models import BankDeposit
from safegrid.payments.counter.schemas import DepositOut
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm

DEPOSIT_NOT_FOUND = "解款记录不存在 / deposit not found"
# First bytes of each accepted format → (media type, file extension).
MAGIC: Final[tuple[tuple[bytes, str, str], ...]] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


@dataclasses.dataclass(frozen=True)
class Slip:
    content: bytes
    media_type: str
    sha256: str
    filename: str


def sniff(content: bytes) -> tuple[str, str]:
    for magic, media_type, ext in MAGIC:
        if content.startswith(magic):
            return media_type, ext
    raise ValidationProblem(
        "解款单须为 PDF、PNG 或 JPEG 扫描件 / the slip must be a PDF, PNG or JPEG scan",
        field="slip",
    )


def check_slip(content: bytes) -> tuple[str, str]:
    limit = get_counter_settings().slip_max_bytes
    if not content:
        raise ValidationProblem("请选择解款单扫描件 / choose the scanned slip", field="slip")
    if len(content) > limit:
        raise ValidationProblem(
            f"文件过大（上限 {limit // (1024 * 1024)} MB）/ the file is larger than "
            f"{limit // (1024 * 1024)} MB",
            field="slip",
        )
    return sniff(content)


def do_upload_slip(uow: UnitOfWork, deposit_id: int, content: bytes) -> DepositOut:
    media_type, ext = check_slip(content)
    if not uow.actor.can(Perm.COUNTER_SETTLE):
        raise PermissionDeniedError("无日结权限 / you may not settle cash")
    digest = hashlib.sha256(content).hexdigest()
    root = get_counter_settings().slip_dir
    with uow:
        deposit = uow.session.scalars(
            select(BankDeposit).where(BankDeposit.id == deposit_id).with_for_update()
        ).first()
        if deposit is None:
            raise NotFoundError(DEPOSIT_NOT_FOUND)
        halls.require_works_at(uow.actor, halls.hall(uow, deposit.org_unit_id))
        if deposit.slip_sha256 is not None:
            raise ConflictError(
                "解款单已上传，不能替换 / the slip is already uploaded and is never replaced",
                field="slip",
            )
        # A random part too: a restored database may reuse a deposit id, and an old file
        # must then stay as it is rather than block (or be mistaken for) the new one.
        name = f"deposit-{deposit.id}-{secrets.token_hex(4)}-{digest[:16]}.{ext}"
        relative = Path(str(deposit.org_unit_id)) / name
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with target.open("xb") as fh:  # "x": an existing file is never overwritten
                fh.write(content)
        except FileExistsError:
            raise ConflictError(
                "解款单文件已存在 / a slip file of this deposit already exists", field="slip"
            ) from None
        try:
            deposit.slip_path = relative.as_posix()
            deposit.slip_sha256 = digest
            deposit.slip_media_type = media_type
            deposit.slip_bytes = len(content)
            deposit.slip_uploaded_by = uow.actor.username
            deposit.slip_uploaded_at = clock.now()
            uow.audit(
                "counter.slip_uploaded",
                object_type="bank_deposit",
                object_id=deposit.id,
                org_unit_id=deposit.org_unit_id,
                after={"sha256": digest, "bytes": len(content), "media_type": media_type},
            )
            uow.emit(DepositSlipUploaded(deposit.id, digest))
            out = DepositOut.model_validate(deposit)
            uow.commit()
        except BaseException:
            target.unlink(missing_ok=True)  # the record was not written: neither is the file
            raise
        return out


def read_slip(uow: UnitOfWork, deposit_id: int) -> Slip:
    with uow:
        deposit = uow.session.get(BankDeposit, deposit_id)
        if deposit is None or deposit.slip_path is None or deposit.slip_sha256 is None:
            raise NotFoundError(DEPOSIT_NOT_FOUND)
        path = get_counter_settings().slip_dir / deposit.slip_path
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise ConflictError("解款单文件缺失 / the slip file is missing", field="slip") from None
        if hashlib.sha256(content).hexdigest() != deposit.slip_sha256:
            raise ConflictError(
                "解款单文件与登记的哈希不符 / the slip file does not match its recorded hash",
                field="slip",
            )
        return Slip(
            content,
            deposit.slip_media_type or "application/octet-stream",
            deposit.slip_sha256,
            path.name,
        )
