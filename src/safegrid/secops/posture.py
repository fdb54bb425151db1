"""The security posture (OPS-3): one page for the security officer, every figure counted in
the caller's scope (his unit's subtree) and each pointing to where it is fixed.

Platform-wide facts (data key versions, the audit chain's last verification, backups and
restore drills) are the same for everyone and read unscoped; they reveal no unit's data.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from safegrid.datause.models import DataUseGrant, ExportRecord
from safegrid.governance.models import DepartureNotice
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.emergency_models import DrillFinding
from safegrid.secops.models import CaseStatus, Detection, SecurityCase
from safegrid.secops.offline import cases as offline_cases
from safegrid.secops.resilience_models import AttackEvent, BackupRun, RestoreDrill
from safegrid.security.key_store import DataKey, KeyStatus
from safegrid.security.models import AccountStatus, AuditEntry, StaffAccount
from safegrid.security.passwords import MAX_AGE
from safegrid.security.scope import unscoped

IDLE_AFTER = timedelta(days=30)


@dataclasses.dataclass(frozen=True)
class Item:
    key: str
    label: str  # English msgid; the page translates it
    value: int | str
    href: str  # where it is fixed
    attention: bool  # shown as needing action


@dataclasses.dataclass(frozen=True)
class Posture:
    items: list[Item]
    at: datetime


def _count(uow: UnitOfWork, stmt: Select[Any], **opts: Any) -> int:
    return int(uow.session.scalar(stmt, execution_options=opts) or 0)


def _platform_facts(uow: UnitOfWork) -> list[Item]:
    why = unscoped("platform-wide security state, the same for every unit")
    active = uow.session.scalar(
        select(DataKey.version).where(DataKey.status == KeyStatus.ACTIVE), execution_options=why
    )
    retired = _count(uow, select(func.count()).where(DataKey.status == KeyStatus.RETIRED), **why)
    rotated, reencrypted = (
        uow.session.scalar(
            select(func.max(AuditEntry.at)).where(AuditEntry.action == action),
            execution_options=why,
        )
        for action in ("keys.rotate", "keys.reencrypt")
    )
    pending = rotated is not None and (reencrypted is None or reencrypted < rotated)
    verified = uow.session.execute(
        select(AuditEntry.at, AuditEntry.body)
        .where(AuditEntry.action == "audit.verify")
        .order_by(AuditEntry.seq.desc())
        .limit(1),
        execution_options=why,
    ).first()
    broken = verified is not None and "BROKEN at entry" in verified[1]
    stale = verified is None or verified[0] < clock.now() - timedelta(days=7)
    return [
        Item("key_version", "Active data key version (retired versions)",
             f"v{active or '—'} ({retired})", "/data/inventory", False),
        Item("reencryption", "Re-encryption after the last key rotation",
             "pending" if pending else "done", "/data/inventory", pending),
        Item("audit_chain", "Audit chain last verified",
             verified[0].isoformat(timespec="minutes") if verified else "never", "/audit",
             broken or stale),
    ]  # fmt: skip


def posture(uow: UnitOfWork) -> Posture:
    now = clock.now()
    with uow:
        c = _count
        live = StaffAccount.status == AccountStatus.ACTIVE
        items = [
            Item("detections", "Open detections",
                 c(uow, select(func.count(Detection.id)).where(Detection.closed_at.is_(None))),
                 "/secops/detections", True),
            Item("cases", "Open security cases",
                 c(uow, select(func.count(SecurityCase.id))
                   .where(SecurityCase.status == CaseStatus.OPEN)),
                 "/secops/detections#cases", True),
            Item("no_mfa", "Active accounts without a one-time code",
                 c(uow, select(func.count(StaffAccount.id))
                   .where(live, StaffAccount.totp_enrolled.is_(False))),
                 "/staff", True),
            Item("password_expired", "Active accounts with an expired password",
                 c(uow, select(func.count(StaffAccount.id))
                   .where(live, StaffAccount.password_changed_at < now - MAX_AGE)),
                 "/staff", True),
            Item("idle", "Active accounts idle for 30 days",
                 c(uow, select(func.count(StaffAccount.id)).where(
                     live, or_(StaffAccount.last_login_at.is_(None),
                               StaffAccount.last_login_at < now - IDLE_AFTER))),
                 "/governance/idle-accounts", True),
            Item("departed_pending", "Departures not yet frozen",
                 c(uow, select(func.count(DepartureNotice.id))
                   .where(DepartureNotice.frozen_at.is_(None))),
                 "/governance/departures", True),
            Item("grants", "Data-use grants in force",
                 c(uow, select(func.count(DataUseGrant.id)).where(
                     DataUseGrant.revoked_at.is_(None), DataUseGrant.valid_to > now,
                     DataUseGrant.valid_from <= now)),
                 "/datause/grants", False),
            Item("exports_week", "Exports in the last 7 days",
                 c(uow, select(func.count(ExportRecord.id))
                   .where(ExportRecord.at >= now - timedelta(days=7))),
                 "/datause/exports", False),
            Item("offline_cases", "Open offline payment cases", offline_cases.count_open(uow),
                 "/counter/offline-cases", True),
        ]  # fmt: skip
        items.extend(_platform_facts(uow))
        items.extend(_resilience(uow, now))
    shown = [
        dataclasses.replace(i, attention=i.attention and i.value not in (0, "done")) for i in items
    ]
    return Posture(shown, now)


def _resilience(uow: UnitOfWork, now: datetime) -> list[Item]:
    """Backups, restore drills and emergency findings: utility-wide, like the keys."""
    why = unscoped("platform-wide resilience state, the same for every unit")
    backup = uow.session.scalar(select(func.max(BackupRun.verified_at)), execution_options=why)
    drill = uow.session.execute(
        select(RestoreDrill.started_at, RestoreDrill.rto_seconds, RestoreDrill.chain_ok,
               RestoreDrill.counts_ok).order_by(RestoreDrill.id.desc()).limit(1),
        execution_options=why,
    ).first()  # fmt: skip
    today = clock.business_day(now)
    open_findings = _count(uow, select(func.count(DrillFinding.id))
                           .where(DrillFinding.fixed_on.is_(None)), **why)  # fmt: skip
    overdue = _count(uow, select(func.count(DrillFinding.id)).where(
        DrillFinding.fixed_on.is_(None), DrillFinding.due_on < today), **why)  # fmt: skip
    drill_text = (
        f"{drill[0].isoformat(timespec='minutes')} · RTO {drill[1]} s"
        + ("" if drill[2] and drill[3] else " · FAILED")
        if drill
        else "never"
    )
    return [
        Item("backup", "Last verified backup",
             backup.isoformat(timespec="minutes") if backup else "never",
             "/secops/drills#backups", backup is None or backup < now - timedelta(days=1)),
        Item("restore_drill", "Last restore drill (recovery time)", drill_text,
             "/secops/drills#backups",
             drill is None or not (drill[2] and drill[3])
             or drill[0] < now - timedelta(days=92)),
        Item("drill_findings", "Open emergency-drill findings (overdue)",
             f"{open_findings} ({overdue})", "/secops/drills#findings", overdue > 0),
        Item("attacks", "Blocked attacks in the last 24 hours",
             _count(uow, select(func.count(AttackEvent.id))
                    .where(AttackEvent.at >= now - timedelta(days=1)), **why),
             "/alerts", True),
    ]  # fmt: skip
