"""What the security officer's pages list (OPS-1, OPS-2), in the caller's scope."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from safegrid.platform.uow import UnitOfWork
from safegrid.secops.emergency_models import Drill, DrillFinding, EmergencyPlan
from safegrid.secops.models import (
    Detection,
    Playbook,
    PlaybookRun,
    SecurityCase,
    UnfreezeRequest,
    UnfreezeStatus,
)
from safegrid.secops.resilience_models import BackupRun, RestoreDrill
from safegrid.security.models import StaffAccount


@dataclasses.dataclass(frozen=True)
class Board:
    detections: list[Detection]
    runs: list[PlaybookRun]
    cases: list[SecurityCase]
    unfreezes: list[UnfreezeRequest]
    playbooks: list[Playbook]
    names: dict[int, str]


def _names(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(StaffAccount.id, StaffAccount.username).where(StaffAccount.id.in_(wanted))
    ).all()
    return {a: b for a, b in rows}


def board(uow: UnitOfWork, limit: int = 100) -> Board:
    with uow:
        s = uow.session
        detections = list(
            s.scalars(
                select(Detection)
                .where(Detection.closed_at.is_(None))
                .order_by(Detection.score.desc(), Detection.id.desc())
                .limit(limit)
            )
        )
        runs = list(s.scalars(select(PlaybookRun).order_by(PlaybookRun.id.desc()).limit(limit)))
        cases = list(s.scalars(select(SecurityCase).order_by(SecurityCase.id.desc()).limit(limit)))
        unfreezes = list(
            s.scalars(
                select(UnfreezeRequest)
                .where(UnfreezeRequest.status == UnfreezeStatus.PENDING)
                .order_by(UnfreezeRequest.id)
            )
        )
        books = list(s.scalars(select(Playbook).order_by(Playbook.code)))
        ids = [d.account_id for d in detections] + [r.account_id for r in runs]
        ids += [c.account_id for c in cases] + [u.account_id for u in unfreezes]
        return Board(detections, runs, cases, unfreezes, books, _names(uow, ids))


@dataclasses.dataclass(frozen=True)
class Resilience:
    plans: list[EmergencyPlan]
    drills: list[Drill]
    findings: list[DrillFinding]
    backups: list[BackupRun]
    restores: list[RestoreDrill]


def resilience(uow: UnitOfWork, year: int) -> Resilience:
    """Utility-wide (plans, drills, backups are not any one unit's)."""
    with uow:
        s = uow.session
        return Resilience(
            plans=list(s.scalars(select(EmergencyPlan).order_by(EmergencyPlan.code))),
            drills=list(
                s.scalars(
                    select(Drill)
                    .where(Drill.scheduled_on >= date(year, 1, 1))
                    .order_by(Drill.scheduled_on)
                )
            ),
            findings=list(
                s.scalars(
                    select(DrillFinding).order_by(
                        DrillFinding.fixed_on.is_not(None), DrillFinding.due_on
                    )
                )
            ),
            backups=list(s.scalars(select(BackupRun).order_by(BackupRun.id.desc()).limit(20))),
            restores=list(
                s.scalars(select(RestoreDrill).order_by(RestoreDrill.id.desc()).limit(10))
            ),
        )
