"""The training gate (IAM-8): a new account stays ``pending`` until its holder has 16
class-hours of security training, a passed exam and a signed security commitment; only
then may a system administrator activate it. Login refuses a pending account."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Final

from sqlalchemy import select

from safegrid.governance.models import TrainingRecord
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import snapshot
from safegrid.security.models import AccountStatus, StaffAccount

MIN_CLASS_HOURS: Final = Decimal(16)
MAX_HOURS_PER_ENTRY: Final = Decimal(40)


@dataclasses.dataclass(frozen=True)
class TrainingUpdate:
    add_hours: Decimal = Decimal(0)
    exam_passed: bool = False
    commitment_signed: bool = False


@dataclasses.dataclass(frozen=True)
class TrainingStatus:
    account_id: int
    username: str
    real_name: str
    status: AccountStatus
    class_hours: Decimal
    exam_passed: bool
    commitment_signed: bool

    @property
    def missing(self) -> list[str]:
        out = []
        if self.class_hours < MIN_CLASS_HOURS:
            out.append(f"安全培训学时 {self.class_hours}/16 / class hours {self.class_hours} of 16")
        if not self.exam_passed:
            out.append("考试未通过 / exam not passed")
        if not self.commitment_signed:
            out.append("未签署安全承诺书 / security commitment not signed")
        return out


def _account(uow: UnitOfWork, account_id: int) -> StaffAccount:
    # Scoped: an account outside the caller's subtree does not exist for him (404).
    account = uow.session.scalars(select(StaffAccount).where(StaffAccount.id == account_id)).first()
    if account is None:
        raise NotFoundError("账号不存在 / account not found")
    if account.id == uow.actor.account_id:
        raise PermissionDeniedError(
            "不能登记或激活本人的培训 / you cannot record or activate your own training"
        )
    return account


def _record(uow: UnitOfWork, account_id: int) -> TrainingRecord:
    record = uow.session.get(TrainingRecord, account_id)
    if record is None:
        record = TrainingRecord(
            account_id=account_id,
            class_hours=Decimal(0),
            updated_at=clock.now(),
            updated_by=uow.actor.username,
        )
        uow.session.add(record)
    return record


def _status(account: StaffAccount, record: TrainingRecord | None) -> TrainingStatus:
    return TrainingStatus(
        account.id,
        account.username,
        account.real_name,
        account.status,
        record.class_hours if record else Decimal(0),
        bool(record and record.exam_passed_at),
        bool(record and record.commitment_signed_at),
    )


def do_record_training(uow: UnitOfWork, account_id: int, update: TrainingUpdate) -> TrainingStatus:
    """Adds class hours and marks the exam / the commitment (with the time they were recorded)."""
    if update.add_hours < 0 or update.add_hours > MAX_HOURS_PER_ENTRY:
        raise ValidationProblem(
            f"学时须在 0–{MAX_HOURS_PER_ENTRY} 之间 / hours must be 0–{MAX_HOURS_PER_ENTRY}",
            field="add_hours",
        )
    now = clock.now()
    with uow:
        account = _account(uow, account_id)
        existing = uow.session.get(TrainingRecord, account.id)
        before = snapshot(existing) if existing is not None else None
        record = existing or _record(uow, account.id)
        record.class_hours = (record.class_hours or Decimal(0)) + update.add_hours
        if update.exam_passed and record.exam_passed_at is None:
            record.exam_passed_at = now
        if update.commitment_signed and record.commitment_signed_at is None:
            record.commitment_signed_at = now
        record.updated_at, record.updated_by = now, uow.actor.username
        uow.session.flush()
        uow.audit(
            "staff.training_recorded",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            before=before,
            after=snapshot(record),
        )
        uow.commit()
        return _status(account, record)


def do_activate(uow: UnitOfWork, account_id: int) -> None:
    with uow:
        account = _account(uow, account_id)
        if account.status != AccountStatus.PENDING_ACTIVATION:
            raise ConflictError(
                f"账号不是待激活状态 / account is {account.status.value}, not pending activation"
            )
        record = uow.session.get(TrainingRecord, account.id)
        missing = _status(account, record).missing
        if missing or record is None:
            raise ValidationProblem(
                "培训未完成，不能激活 / training incomplete, cannot activate: "
                + "; ".join(missing),
                field="training",
            )
        account.status = AccountStatus.ACTIVE
        record.activated_at = clock.now()
        uow.audit(
            "staff.activated",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            before={"status": AccountStatus.PENDING_ACTIVATION.value},
            after={"status": AccountStatus.ACTIVE.value},
        )
        uow.commit()


def list_training(uow: UnitOfWork, *, pending_only: bool = True) -> list[TrainingStatus]:
    """Accounts in the caller's scope with their training; pending ones by default."""
    with uow:
        stmt = select(StaffAccount, TrainingRecord).outerjoin(
            TrainingRecord, TrainingRecord.account_id == StaffAccount.id
        )
        if pending_only:
            stmt = stmt.where(StaffAccount.status == AccountStatus.PENDING_ACTIVATION)
        rows = uow.session.execute(stmt.order_by(StaffAccount.id).limit(500)).all()
        return [_status(a, r) for a, r in rows]
