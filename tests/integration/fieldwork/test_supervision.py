"""FLD-7: each month 20 % of finished orders drawn at random for review — seeded, the seed
and the draw recorded so anyone re-draws the same list; once per unit and month; the four
checks, four looks review of drawn orders only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus
from safegrid.fieldwork.supervision import (
    LOOKS,
    ReviewIn,
    SupervisionDraw,
    do_draw,
    do_review_drawn,
    draw_ids,
    verify_draw,
)
from safegrid.fieldwork.team_results import TeamResult
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.security.policy import Post
from tests.fixtures.field import Crew


def test_fld_7_draw_is_reproducible_from_seed() -> None:
    population = list(range(1, 51))
    assert draw_ids(population, 42) == draw_ids(list(reversed(population)), 42)
    assert len(draw_ids(population, 42)) == 10  # 20 % of 50
    assert len(draw_ids(list(range(7)), 1)) == 2  # ceil(1.4)
    assert draw_ids(population, 42) != draw_ids(population, 43)


def test_fld_7_monthly_draw_recorded_and_reviewed(crew: Crew, fixed_now: clock.FixedClock) -> None:
    orders = [crew.order() for _ in range(6)]
    with crew.world.platform.engine.begin() as conn:
        conn.execute(
            update(WorkOrder)
            .where(WorkOrder.id.in_(orders[:5]))
            .values(status=WorkOrderStatus.FINISHED.value, finished_at=clock.now())
        )
    head = crew.world.staff(Post.DEPARTMENT_HEAD, "countyA")
    with pytest.raises(ValidationProblem, match="not over"):
        do_draw(crew.uow(head), crew.world.units["countyA"], "2026-11")
    fixed_now._at = datetime(2026, 12, 1, 2, tzinfo=UTC)
    draw = do_draw(crew.uow(head), crew.world.units["countyA"], "2026-11", seed=2026)
    assert draw.population == 5 and draw.seed == 2026
    assert draw.drawn == draw_ids(orders[:5], 2026) and len(draw.drawn) == 1
    assert verify_draw(crew.uow(head), draw.id)
    with pytest.raises(ConflictError, match="already drawn"):
        do_draw(crew.uow(head), crew.world.units["countyA"], "2026-11")
    looks = dict.fromkeys(LOOKS, True)
    other = next(o for o in orders if o not in draw.drawn)
    with pytest.raises(ValidationProblem, match="not in this draw"):
        do_review_drawn(crew.uow(head), draw.id, [ReviewIn(other, looks)])
    with pytest.raises(ValidationProblem, match="findings are required"):
        do_review_drawn(
            crew.uow(head), draw.id, [ReviewIn(draw.drawn[0], {**looks, "gps_track": False})]
        )
    assert do_review_drawn(crew.uow(head), draw.id, [ReviewIn(draw.drawn[0], looks)])


def test_fld_7_fld_8_monthly_jobs_draw_and_publish_once(
    crew: Crew, fixed_now: clock.FixedClock
) -> None:
    from safegrid.platform import jobs

    jobs.load()
    fixed_now._at = datetime(2026, 12, 1, 3, tzinfo=UTC)
    first = jobs.run_job(crew.world.platform, "fieldwork.monthly_draw")
    assert first.status.value == "succeeded", first.error
    again = jobs.run_job(crew.world.platform, "fieldwork.monthly_draw")  # the first draw stands
    assert again.status.value == "succeeded"
    results = jobs.run_job(crew.world.platform, "fieldwork.monthly_results")
    assert results.status.value == "succeeded"
    with crew.world.platform.engine.connect() as conn:
        draws = conn.execute(
            select(SupervisionDraw.period, func.count()).group_by(SupervisionDraw.period)
        ).all()
        teams = conn.execute(select(func.count()).select_from(TeamResult)).scalar_one()
    assert draws == [("2026-11", 2)]  # one per county, not two
    assert teams == 2  # one row per station
