"""OPS-5: six plans and the year's drill calendar (March intrusion, June typhoon offline
operation, September data-leak notification, one more each quarter), planned once however
often the job runs; a drill's findings are due in 15 working days on the Chinese calendar
(the National Day week does not count); an overdue finding is escalated to the managers
once. OPS-3: the posture shows the overdue finding."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from safegrid.alerts.models import Alert
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.secops import emergency, posture
from safegrid.secops.emergency_models import Drill, DrillFinding, EmergencyPlan
from safegrid.security.policy import Post
from tests.fixtures.world import World


@pytest.fixture
def autumn() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(datetime(2026, 9, 30, 10, 0, tzinfo=BUSINESS_TZ))
    clock.set_clock(fixed)
    yield fixed
    clock.set_clock(clock.SystemClock())


def test_ops_5_plans_calendar_findings_and_escalation(
    world: World, autumn: clock.FixedClock
) -> None:
    p = world.platform
    assert emergency.do_plan_year(p.uow(world.system()), 2026) == 8
    assert emergency.do_plan_year(p.uow(world.system()), 2026) == 0
    with p.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(EmergencyPlan)) == 6
        drills = {d.title[:4]: d for d in uow.session.scalars(select(Drill))}
    months = sorted(d.scheduled_on.month for d in drills.values())
    assert {3, 6, 9} <= set(months) and {(m - 1) // 3 for m in months} == {0, 1, 2, 3}
    september = next(d for d in drills.values() if d.plan_code == "data_leak")
    dso = world.actor(world.staff(Post.DATA_SECURITY_OFFICER, "countyA"))
    rec = emergency.DrillRecord(date(2026, 9, 28), "通报流程演练 / notification drill",
                                ["通报模板缺少英文 / template lacks English", ""])  # fmt: skip
    (finding_id,) = emergency.do_record_drill(p.uow(dso), september.id, rec)
    with pytest.raises(ConflictError):
        emergency.do_record_drill(p.uow(dso), september.id, rec)
    with p.uow(world.system(), readonly=True) as uow:
        finding = uow.session.get_one(DrillFinding, finding_id)
    # 15 working days from Mon 28 Sep 2026, skipping 1-7 October: Friday 23 October.
    assert finding.due_on == date(2026, 10, 23)
    assert "State Council" in finding.due_basis
    world.staff(Post.DEPARTMENT_HEAD, "countyA")  # someone to alert
    assert emergency.run_overdue_escalation(p.uow(world.system())) == {"escalated": 0}
    autumn.advance(datetime(2026, 10, 26, 9, tzinfo=BUSINESS_TZ) - clock.now())
    assert emergency.run_overdue_escalation(p.uow(world.system())) == {"escalated": 1}
    assert emergency.run_overdue_escalation(p.uow(world.system())) == {"escalated": 0}
    with p.uow(world.system(), readonly=True) as uow:
        assert (
            uow.session.scalar(
                select(func.count()).where(Alert.key_field == "drill_finding_overdue")
            )
            == 1
        )
    items = {i.key: i for i in posture.posture(p.uow(dso)).items}
    assert items["drill_findings"].value == "1 (1)" and items["drill_findings"].attention
    emergency.do_fix_finding(p.uow(dso), finding_id, "模板已补英文 / template fixed")
    items = {i.key: i for i in posture.posture(p.uow(dso)).items}
    assert items["drill_findings"].value == "0 (0)"


def test_ops_5_a_drill_in_the_future_or_without_summary_is_refused(world: World) -> None:
    p = world.platform
    emergency.do_plan_year(p.uow(world.system()), clock.business_day().year)
    with p.uow(world.system(), readonly=True) as uow:
        drill_id = uow.session.scalars(select(Drill.id)).first()
    assert drill_id is not None
    future = emergency.DrillRecord(date(2099, 1, 1), "x", [])
    with pytest.raises(ValidationProblem, match="future"):
        emergency.do_record_drill(p.uow(world.system()), drill_id, future)
    blank = emergency.DrillRecord(clock.business_day(), "  ", [])
    with pytest.raises(ValidationProblem, match="summary"):
        emergency.do_record_drill(p.uow(world.system()), drill_id, blank)
