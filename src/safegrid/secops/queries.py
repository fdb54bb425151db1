"""What the security officer's pages list (OPS-1, OPS-2), in the caller's scope."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy import select

from safegrid.platform.uow import UnitOfWork
from safegrid.secops.models import (
    Detection,
    Playbook,
    PlaybookRun,
    SecurityCase,
    UnfreezeRequest,
    UnfreezeStatus,
)
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
