"""Usage corrections with approval (BILL-7 退补, issue 13 item 4): propose, then a second
person approves — applying the correction and re-pricing the account's bills in one
transaction — or rejects, which changes nothing but the request.

Re-pricing goes through billing's path, asked through the :mod:`.repricing` port.

Who: a proposal comes from someone who takes readings (``readings.enter``: the reader, his
team leader, the head); the decision from someone who may re-price bills
(``bills.reverse``: finance, the head) and never from the proposer. The row lock on the
request makes a double approval apply once; the partial unique index keeps one open
proposal per meter and month.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safegrid.customers.models import Account, Meter
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.readings import repricing
from safegrid.readings.correction_models import CorrectionStatus, UsageCorrectionRequest
from safegrid.readings.corrections import (
    Figures,
    apply_correction,
    check_figures,
    check_reason,
    check_shape,
)
from safegrid.readings.events import CorrectionDecided, CorrectionProposed
from safegrid.readings.models import MonthlyUsage
from safegrid.readings.repository import ReadingRepository
from safegrid.security.masking import snapshot

EVIDENCE_MAX: Final = 500
QUEUE_LIMIT: Final = 200
NOT_FOUND: Final = "更正申请不存在 / no such correction request"
OPEN_ALREADY: Final = (
    "该表该月已有待审批的更正 / a correction of this meter's month already waits for approval"
)


@dataclasses.dataclass(frozen=True)
class Decided:
    request_id: int
    status: CorrectionStatus
    repriced_months: int | None
    repriced_difference: Decimal | None


@dataclasses.dataclass(frozen=True)
class Proposal:
    asset_no: str
    period: str
    new: Figures
    reason: str
    evidence: str


def _evidence(text: str) -> str:
    text = text.strip()
    if not text or len(text) > EVIDENCE_MAX:
        raise ValidationProblem(
            "请填写依据（表盘照片编号、现场核查记录等，最多 500 字） / give the evidence "
            "(dial photo, site check record…; at most 500 characters)",
            field="evidence",
        )
    return text


def _figures(row: MonthlyUsage) -> Figures:
    return Figures(row.kwh, row.peak_kwh, row.valley_kwh)


def do_propose_correction(uow: UnitOfWork, proposal: Proposal) -> int:
    """File a correction of a closed month's usage; returns the request's id. Nothing
    else changes until a second person approves it."""
    reason = check_reason(proposal.reason)
    evidence = _evidence(proposal.evidence)
    new = check_figures(proposal.new)
    with uow:
        meter = ReadingRepository(uow).meter_by_asset(proposal.asset_no.strip())
        if meter is None:
            raise NotFoundError("电表不存在 / meter not found", field="asset_no")
        row = uow.session.scalars(
            select(MonthlyUsage).where(
                MonthlyUsage.meter_id == meter.id, MonthlyUsage.period == proposal.period
            )
        ).first()
        if row is None:
            raise ValidationProblem(
                f"电表 {meter.asset_no} 在 {proposal.period} 没有已关账的电量 / meter "
                f"{meter.asset_no} has no frozen usage for {proposal.period}: only a closed "
                "month can be corrected",
                field="period",
            )
        check_shape(row, new)
        if new == _figures(row):
            raise ValidationProblem(
                "更正后的电量与现值相同 / the corrected figures equal the frozen ones",
                field="kwh",
            )
        request = UsageCorrectionRequest(
            meter_id=meter.id,
            account_id=row.account_id,
            period=row.period,
            old_kwh=row.kwh,
            old_peak_kwh=row.peak_kwh,
            old_valley_kwh=row.valley_kwh,
            new_kwh=new.kwh,
            new_peak_kwh=new.peak_kwh,
            new_valley_kwh=new.valley_kwh,
            reason=reason[:200],
            evidence=evidence,
            proposed_by=uow.actor.username,
            proposed_at=clock.now(),
            status=CorrectionStatus.PENDING,
            org_unit_id=row.org_unit_id,
        )
        uow.session.add(request)
        try:
            uow.session.flush()
        except IntegrityError:
            raise ConflictError(OPEN_ALREADY, field="period") from None
        uow.audit(
            "readings.correction.propose",
            object_type="usage_correction_request",
            object_id=request.id,
            org_unit_id=request.org_unit_id,
            after=snapshot(request),
            note=reason,
        )
        uow.emit(CorrectionProposed(request.id, meter.id, request.period, request.org_unit_id))
        uow.commit()
        return request.id


def do_decide_correction(uow: UnitOfWork, request_id: int, *, approve: bool, note: str) -> Decided:
    """Approve (apply and re-price, one transaction) or reject a proposed correction."""
    note = note.strip()
    if not approve and len(note) < 4:
        raise ValidationProblem("驳回须说明原因 / say why the correction is rejected", field="note")
    with uow:
        request = uow.session.scalars(
            select(UsageCorrectionRequest)
            .where(UsageCorrectionRequest.id == request_id)
            .with_for_update()
        ).first()
        if request is None:
            raise NotFoundError(NOT_FOUND)
        if request.status != CorrectionStatus.PENDING:
            raise ConflictError(
                "该更正已审批 / this correction has already been decided", field="decision"
            )
        if request.proposed_by == uow.actor.username:
            raise PermissionDeniedError(
                "更正须由提出人以外的人员审批 / a correction is decided by someone other than "
                "the person who proposed it",
                field="decision",
            )
        before = snapshot(request)
        if approve:
            row = uow.session.scalars(
                select(MonthlyUsage)
                .where(
                    MonthlyUsage.meter_id == request.meter_id,
                    MonthlyUsage.period == request.period,
                )
                .with_for_update()
            ).one()
            if _figures(row) != Figures(
                request.old_kwh, request.old_peak_kwh, request.old_valley_kwh
            ):
                raise ConflictError(
                    "该月电量在提出更正后已变化，请驳回后重新提出 / the month's usage changed "
                    "after the proposal: reject it and propose again",
                    field="decision",
                )
            new = Figures(request.new_kwh, request.new_peak_kwh, request.new_valley_kwh)
            apply_correction(uow, row, new, request.reason, request.id)
            reason = f"用电量更正 #{request.id}：{request.reason}"[:200]
            request.repriced_months, request.repriced_difference = repricing.repricer()(
                uow, request.account_id, request.period, reason
            )
        request.status = CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED
        request.decided_by, request.decided_at = uow.actor.username, clock.now()
        request.decision_note = note[:200] or None
        uow.session.flush()
        uow.audit(
            "readings.correction.decide",
            object_type="usage_correction_request",
            object_id=request.id,
            org_unit_id=request.org_unit_id,
            before=before,
            after=snapshot(request),
            note=note or None,
        )
        uow.emit(
            CorrectionDecided(
                request.id, request.meter_id, request.period, approve, request.org_unit_id
            )
        )
        out = Decided(
            request.id, request.status, request.repriced_months, request.repriced_difference
        )
        uow.commit()
        return out


@dataclasses.dataclass(frozen=True)
class QueuedCorrection:
    id: int
    asset_no: str
    account_number: str
    period: str
    old: Figures
    new: Figures
    reason: str
    evidence: str
    proposed_by: str
    proposed_at: datetime


def pending(uow: UnitOfWork, limit: int = QUEUE_LIMIT) -> list[QueuedCorrection]:
    """Corrections waiting for a decision in the caller's scope, oldest first."""
    with uow:
        rows = uow.session.execute(
            select(UsageCorrectionRequest, Meter.asset_no, Account.number)
            .join(Meter, Meter.id == UsageCorrectionRequest.meter_id)
            .join(Account, Account.id == UsageCorrectionRequest.account_id)
            .where(UsageCorrectionRequest.status == CorrectionStatus.PENDING)
            .order_by(UsageCorrectionRequest.proposed_at, UsageCorrectionRequest.id)
            .limit(limit)
        ).all()
        return [
            QueuedCorrection(
                r.id,
                asset,
                number,
                r.period,
                Figures(r.old_kwh, r.old_peak_kwh, r.old_valley_kwh),
                Figures(r.new_kwh, r.new_peak_kwh, r.new_valley_kwh),
                r.reason,
                r.evidence,
                r.proposed_by,
                r.proposed_at,
            )
            for r, asset, number in rows
        ]
