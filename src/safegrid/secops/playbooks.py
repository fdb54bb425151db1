"""Response playbooks (OPS-2): freeze the account, revoke its sessions, require step-up at
its next action, open a security case, notify the data security officer.

A playbook is data (``secops_playbooks``: its steps in order and which detections start
it). :func:`do_run_playbook` runs one against one account in one unit of work — by hand or
by a detection rule (the ``secops.playbooks`` subscriber, fed through the outbox) — and
records what each step did; a dry run records what each step *would* do and changes
nothing else. Freezing reuses the departure freeze of account governance (IAM-5), and is
refused for the last active system administrator. Undoing a freeze is an unfreeze request
approved by a second person (:mod:`safegrid.secops.unfreeze`).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select, update

from safegrid.alerts.raise_alert import text_sms
from safegrid.governance.departures import freeze_accounts, revoke_sessions
from safegrid.org.models import OrgUnit
from safegrid.platform import clock, numbering
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.events import PlaybookRan
from safegrid.secops.models import (
    CaseStatus,
    Detection,
    Playbook,
    PlaybookRun,
    RunStatus,
    SecurityCase,
)
from safegrid.security.freezing import LastAdministratorError, freeze_target, refuse_last_admin
from safegrid.security.models import AccountStatus, AuthSession, SessionStage, StaffAccount
from safegrid.security.policy import Post
from safegrid.security.scope import unscoped

STEPS: Final = ("freeze_account", "revoke_sessions", "require_step_up", "open_case", "notify_dso")


@dataclasses.dataclass(frozen=True)
class RunRequest:
    playbook: str
    account_id: int
    reason: str
    dry_run: bool = False
    detection_id: int | None = None
    trigger: str = "manual"


@dataclasses.dataclass(frozen=True)
class RunResult:
    run_id: int
    status: RunStatus
    outcomes: list[dict[str, Any]]


def _dsos(uow: UnitOfWork, unit_id: int) -> list[StaffAccount]:
    path = uow.session.scalar(
        select(OrgUnit.path).where(OrgUnit.id == unit_id),
        execution_options=unscoped("the data security officer may sit above the unit"),
    )
    chain = [int(p) for p in (path or "").strip("/").split("/") if p]
    return list(
        uow.session.scalars(
            select(StaffAccount).where(
                StaffAccount.org_unit_id.in_(chain),
                StaffAccount.post == Post.DATA_SECURITY_OFFICER,
                StaffAccount.status == AccountStatus.ACTIVE,
            ),
            execution_options=unscoped("the data security officer may sit above the unit"),
        ).all()
    )


def _live_sessions(uow: UnitOfWork, account_id: int) -> int:
    return int(
        uow.session.scalar(
            select(func.count()).where(
                AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None)
            )
        )
        or 0
    )


def _step(
    uow: UnitOfWork, step: str, target: StaffAccount, req: RunRequest, now: datetime,
    title: str,
) -> dict[str, Any]:  # fmt: skip
    dry = req.dry_run
    if step == "freeze_account":
        refuse_last_admin(uow, target)
        if target.status != AccountStatus.ACTIVE:
            return {"step": step, "skipped": f"status {target.status.value}"}
        if dry:
            return {"step": step, "would_freeze": True, "sessions": _live_sessions(uow, target.id)}
        ended = freeze_accounts(uow, [target.id], now)
        return {"step": step, "frozen": True, "sessions_revoked": ended}
    if step == "revoke_sessions":
        if dry:
            return {"step": step, "would_revoke": _live_sessions(uow, target.id)}
        return {"step": step, "revoked": revoke_sessions(uow, [target.id], now)}
    if step == "require_step_up":
        if dry:
            return {"step": step, "would_require": _live_sessions(uow, target.id)}
        result = uow.session.execute(
            update(AuthSession)
            .where(
                AuthSession.account_id == target.id,
                AuthSession.revoked_at.is_(None),
                AuthSession.stage == SessionStage.FULL,
            )
            .values(stage=SessionStage.STEP_UP),
            execution_options={"synchronize_session": False},
        )
        return {"step": step, "sessions": int(getattr(result, "rowcount", 0) or 0)}
    if step == "open_case":
        if dry:
            return {"step": step, "would_open": title}
        case = SecurityCase(
            number=numbering.take(uow.session, "SC")[0],
            account_id=target.id,
            detection_id=req.detection_id,
            title=title[:500],
            status=CaseStatus.OPEN,
            opened_at=now,
            opened_by=uow.actor.username,
            org_unit_id=target.org_unit_id,
        )
        uow.session.add(case)
        uow.session.flush()
        return {"step": step, "case": case.number}
    if step == "notify_dso":
        people = _dsos(uow, target.org_unit_id)
        if dry:
            return {"step": step, "would_notify": [p.username for p in people]}
        text_sms(
            uow.session,
            [p for p in people if p.mobile],
            topic="secops.playbook",
            alert_id=req.detection_id or 0,
            text=f"安全响应 / security response: {target.username}: {title}"[:480],
            actor=uow.actor,
            unit_id=target.org_unit_id,
        )
        return {"step": step, "notified": [p.username for p in people]}
    raise ValidationProblem(f"未知步骤 / unknown step {step!r}", field="steps")


def do_run_playbook(uow: UnitOfWork, req: RunRequest) -> RunResult:
    reason = req.reason.strip()
    if not reason:
        raise ValidationProblem("请填写原因 / give the reason", field="reason")
    now = clock.now()
    try:
        with uow:
            book = uow.session.get(Playbook, req.playbook)
            if book is None:
                raise NotFoundError("预案不存在 / playbook not found", field="playbook")
            target = freeze_target(uow, req.account_id, lock=not req.dry_run)
            if target.id == uow.actor.account_id:
                raise ConflictError(
                    "不能对本人执行处置预案 / you cannot run a playbook on yourself",
                    field="account_id",
                )
            detected_at = None
            title = reason
            if req.detection_id is not None:
                found = uow.session.get(Detection, req.detection_id)
                if found is None or found.account_id != target.id:
                    raise NotFoundError(
                        "检测记录不存在 / detection not found", field="detection_id"
                    )
                detected_at, title = found.detected_at, found.explanation
            outcomes = [_step(uow, s, target, req, now, title) for s in book.steps]
            run = PlaybookRun(
                playbook_code=book.code,
                account_id=target.id,
                detection_id=None if req.dry_run else req.detection_id,
                trigger=req.trigger,
                status=RunStatus.DRY_RUN if req.dry_run else RunStatus.DONE,
                outcomes=outcomes,
                reason=reason[:500],
                started_at=now,
                by=uow.actor.username,
                detected_at=detected_at,
                org_unit_id=target.org_unit_id,
            )
            uow.session.add(run)
            uow.session.flush()
            uow.audit(
                "secops.playbook_dry_run" if req.dry_run else "secops.playbook_run",
                object_type="staff_account",
                object_id=target.id,
                org_unit_id=target.org_unit_id,
                after={"playbook": book.code, "run": run.id, "trigger": req.trigger,
                       "steps": outcomes},
                note=reason[:200],
            )  # fmt: skip
            if not req.dry_run:
                uow.emit(PlaybookRan(run.id, book.code, target.id, ",".join(book.steps)))
            uow.commit()
            return RunResult(run.id, run.status, outcomes)
    except LastAdministratorError as exc:
        _log_refusal(uow, req, exc.message)
        raise


def _log_refusal(uow: UnitOfWork, req: RunRequest, message: str) -> None:
    """A refused playbook leaves an audit entry of its own: the run itself rolled back."""
    with uow.fresh() as again:
        again.audit(
            "secops.playbook_refused",
            object_type="staff_account",
            object_id=req.account_id,
            after={"playbook": req.playbook, "trigger": req.trigger, "dry_run": req.dry_run},
            note=message,
        )
        again.commit()
