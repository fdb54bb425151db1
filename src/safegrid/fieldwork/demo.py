"""Demo field work (a small core step of ``safegrid demo generate``, ADR 0021): in each
station the field worker, safety supervisor and meter reader get a numbered kit, tested
three days ago by the station's team leader; the field worker has a meter-reading order for
today (planned, ready to dispatch) and a high-risk inspection for tomorrow, reported and
prepared. Everything goes through the services, audited, in a few transactions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.customers.models import Meter
from safegrid.fieldwork import high_risk, kits, services
from safegrid.fieldwork.models import WorkOrderKind, WorkRisk
from safegrid.fieldwork.safety_models import KitPiece
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.security.actor import Actor
from safegrid.security.cli_identity import actor_from_username
from safegrid.security.models import StaffAccount
from safegrid.security.policy import Post
from safegrid.security.scope import unscoped

CREW = (Post.FIELD_WORKER, Post.SAFETY_SUPERVISOR, Post.METER_READER)


def seed_field_work(platform: Platform) -> int:
    """Returns the number of kits issued."""
    system = Actor.system("demo-generate", channel="cli")
    with platform.uow(system, readonly=True) as uow:
        stations = uow.session.scalars(
            select(OrgUnit.id).where(OrgUnit.kind == UnitKind.STATION).order_by(OrgUnit.id),
            execution_options=unscoped("the demo seeds every station"),
        ).all()
        staff = uow.session.execute(
            select(
                StaffAccount.id, StaffAccount.username, StaffAccount.post, StaffAccount.org_unit_id
            ).where(StaffAccount.org_unit_id.in_(stations)),
            execution_options=unscoped("the demo seeds every station"),
        ).all()
        meters = dict(
            uow.session.execute(
                select(Meter.org_unit_id, func.min(Meter.id))
                .where(Meter.org_unit_id.in_(stations))
                .group_by(Meter.org_unit_id),
                execution_options=unscoped("the demo seeds every station"),
            ).all()
        )
    by = {(unit, post): (sid, name) for sid, name, post, unit in staff}
    today = clock.business_day()
    issued = 0
    for unit in stations:
        crew = [by[(unit, p)] for p in CREW if (unit, p) in by]
        leader = by.get((unit, Post.TEAM_LEADER))
        if not crew or leader is None:
            continue
        numbers = kits.do_issue_kits(
            platform.uow(system),
            [
                kits.NewKit(sid, {p.value: f"{name[:12]}-{p.value[:4]}" for p in KitPiece})
                for sid, name in crew
            ],
        )
        lead = actor_from_username(platform, leader[1])
        kits.do_record_kit_tests(
            platform.uow(lead),
            [
                kits.KitTestIn(
                    n,
                    f"DEMO-{n}-{today}",
                    today - timedelta(days=3),
                    dict.fromkeys((p.value for p in KitPiece), True),
                )
                for n in numbers
            ],
        )
        issued += len(numbers)
        worker, supervisor = (
            by.get((unit, Post.FIELD_WORKER)),
            by.get((unit, Post.SAFETY_SUPERVISOR)),
        )
        if unit not in meters or worker is None or supervisor is None:
            continue
        services.do_open_work_order(
            platform.uow(lead),
            services.NewWorkOrder(
                WorkOrderKind.READING, meters[unit], today, worker[0], supervisor[0]
            ),
        )
        risky = services.do_open_work_order(
            platform.uow(lead),
            services.NewWorkOrder(
                WorkOrderKind.INSPECT,
                meters[unit],
                today + timedelta(days=1),
                worker[0],
                supervisor[0],
                WorkRisk.HIGH,
            ),
        )
        high_risk.do_report_ahead(platform.uow(lead), [risky])
        high_risk.do_prepare(platform.uow(lead), [risky], high_risk.PREPARATIONS)
    return issued
