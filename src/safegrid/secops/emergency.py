"""Emergency plans and drills (OPS-5): the plans are installed once, the year's drills are
planned from the calendar (idempotent: one drill per plan and date), a drill's record lists
its findings, each due in 15 working days on the Chinese calendar; the daily job escalates
overdue findings to the managers (SMS) once."""

from __future__ import annotations

import dataclasses
from datetime import date

from sqlalchemy import select

from safegrid.alerts.raise_alert import raise_alert
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.sql_dialect import insert_skipping_conflicts
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.emergency_catalog import CALENDAR, PLANS
from safegrid.secops.emergency_models import Drill, DrillFinding, EmergencyPlan
from safegrid.secops.workdays import add_working_days, next_working_day

FIX_WITHIN = 15  # working days


def do_plan_year(uow: UnitOfWork, year: int) -> int:
    """Installs missing plans and the year's drills; returns how many drills were added."""
    now = clock.now()
    with uow:
        dialect = uow.session.get_bind().dialect.name
        plans = insert_skipping_conflicts(EmergencyPlan.__table__, dialect)
        for plan in PLANS:
            uow.session.execute(plans.values(**plan, updated_at=now))
        drills = insert_skipping_conflicts(Drill.__table__, dialect)
        added = 0
        for month, code, title in CALENDAR:
            day = next_working_day(date(year, month, 15))
            got = uow.session.execute(
                drills.values(plan_code=code, scheduled_on=day, title=title).returning(
                    Drill.__table__.c.id
                )
            ).first()
            added += got is not None
        uow.audit("secops.drills_planned", object_type="secops_drill", object_id=year,
                  after={"added": added})  # fmt: skip
        uow.commit()
        return added


@dataclasses.dataclass(frozen=True)
class DrillRecord:
    held_on: date
    summary: str
    findings: list[str]


def do_record_drill(uow: UnitOfWork, drill_id: int, rec: DrillRecord) -> list[int]:
    summary = rec.summary.strip()
    if not summary:
        raise ValidationProblem("请填写演练小结 / give the drill's summary", field="summary")
    if rec.held_on > clock.business_day():
        raise ValidationProblem("演练日期不能在未来 / the drill cannot be held in the future",
                                field="held_on")  # fmt: skip
    with uow:
        drill = uow.session.scalars(
            select(Drill).where(Drill.id == drill_id).with_for_update()
        ).first()
        if drill is None:
            raise NotFoundError("演练不存在 / drill not found", field="drill_id")
        if drill.held_on is not None:
            raise ConflictError("该演练已记录 / this drill is already recorded", field="drill_id")
        drill.held_on, drill.summary = rec.held_on, summary[:4000]
        drill.recorded_by = uow.actor.username
        ids = []
        for text in (f.strip() for f in rec.findings):
            if not text:
                continue
            due, basis = add_working_days(rec.held_on, FIX_WITHIN)
            finding = DrillFinding(drill_id=drill.id, description=text[:500],
                                   found_on=rec.held_on, due_on=due, due_basis=basis)  # fmt: skip
            uow.session.add(finding)
            uow.session.flush()
            ids.append(finding.id)
        uow.audit("secops.drill_recorded", object_type="secops_drill", object_id=drill.id,
                  after={"held_on": rec.held_on.isoformat(), "findings": ids})  # fmt: skip
        uow.commit()
        return ids


def do_fix_finding(uow: UnitOfWork, finding_id: int, note: str) -> None:
    note = note.strip()
    if not note:
        raise ValidationProblem("请说明整改情况 / say how it was fixed", field="note")
    with uow:
        finding = uow.session.get(DrillFinding, finding_id)
        if finding is None:
            raise NotFoundError("问题不存在 / finding not found", field="finding_id")
        if finding.fixed_on is not None:
            raise ConflictError("该问题已整改 / this finding is already fixed")
        finding.fixed_on, finding.fix_note = clock.business_day(), note[:500]
        uow.audit("secops.finding_fixed", object_type="secops_drill_finding",
                  object_id=finding.id, note=note[:200])  # fmt: skip
        uow.commit()


def run_overdue_escalation(uow: UnitOfWork) -> dict[str, int]:
    today = clock.business_day()
    now = clock.now()
    with uow:
        overdue = list(
            uow.session.scalars(
                select(DrillFinding).where(
                    DrillFinding.fixed_on.is_(None),
                    DrillFinding.due_on < today,
                    DrillFinding.escalated_at.is_(None),
                )
            )
        )
        for f in overdue:
            f.escalated_at = now
            raise_alert(
                uow.session, kind="drill_finding_overdue", object_type="secops_drill_finding",
                object_id=str(f.id), label=None, before=None, after=f.due_on.isoformat(),
                unit_id=None, actor=uow.actor,
                text=f"应急演练问题逾期未整改 / drill finding #{f.id} overdue since "
                     f"{f.due_on}: {f.description}"[:300],
            )  # fmt: skip
        uow.audit("secops.findings_escalated", object_type="secops_drill_finding",
                  after={"escalated": [f.id for f in overdue]})  # fmt: skip
        uow.commit()
        return {"escalated": len(overdue)}
