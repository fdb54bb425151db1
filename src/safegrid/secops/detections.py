"""Recording detections (OPS-1): the hourly job loads the logs, runs the detector and
records each new finding once (the unique key skips a finding already recorded that day),
emitting ``AnomalyDetected`` for the playbooks."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from safegrid.platform import clock
from safegrid.platform.sql_dialect import insert_skipping_conflicts
from safegrid.platform.uow import UnitOfWork
from safegrid.secops import activity as activity_frame
from safegrid.secops.detector import Finding, Thresholds, detect, window_ending
from safegrid.secops.events import AnomalyDetected
from safegrid.secops.models import Detection
from safegrid.security.models import StaffAccount
from safegrid.security.scope import unscoped


@dataclasses.dataclass(frozen=True)
class DetectionRun:
    findings: int
    recorded: int
    detection_ids: list[int]


def do_run_detection(
    uow: UnitOfWork, *, at: datetime | None = None, thresholds: Thresholds | None = None
) -> DetectionRun:
    t = thresholds or Thresholds()
    end = window_ending(at or clock.now())
    since = end - timedelta(days=t.baseline_days + 1)
    frame = activity_frame.load(uow.fresh(), since, end)
    return do_record_findings(uow, detect(frame, end, t), end)


def do_record_findings(
    uow: UnitOfWork, findings: Sequence[Finding], window_end: datetime
) -> DetectionRun:
    now = clock.now()
    day = clock.business_day(window_end - timedelta(seconds=1))
    with uow:
        units = dict(
            (a, b)
            for a, b in uow.session.execute(
                select(StaffAccount.id, StaffAccount.org_unit_id).where(
                    StaffAccount.id.in_({f.account_id for f in findings})
                ),
                execution_options=unscoped("a finding is filed under the account's own unit"),
            ).all()
        )
        rows = [
            {
                "account_id": f.account_id,
                "org_unit_id": units[f.account_id],
                "scenario": f.scenario.value,
                "window_day": day,
                "score": Decimal(str(f.score)),
                "explanation": f.explanation[:500],
                "evidence": f.evidence,
                "detected_at": now,
            }
            for f in findings
            if f.account_id in units
        ]
        inserted: list[tuple[int, int, str, Decimal]] = []
        if rows:
            table = Detection.__table__
            stmt = insert_skipping_conflicts(table, uow.session.get_bind().dialect.name)
            for row in rows:  # RETURNING of a multi-row INSERT … DO NOTHING differs by driver
                got = uow.session.execute(
                    stmt.values(**row).returning(
                        table.c.id, table.c.account_id, table.c.scenario, table.c.score
                    )
                ).first()
                if got is not None:
                    inserted.append((got[0], got[1], str(got[2]), got[3]))
        uow.audit(
            "secops.detection_run",
            object_type="secops_detection",
            after={"findings": len(findings), "recorded": [r[0] for r in inserted]},
        )
        uow.emit_many(
            [AnomalyDetected(i, account, sc, score, now) for i, account, sc, score in inserted]
        )
        uow.commit()
    return DetectionRun(len(findings), len(inserted), [r[0] for r in inserted])
