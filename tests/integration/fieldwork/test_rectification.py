"""FLD-8: three-colour rectification enforced by the services (a red-suspended or black
worker is not dispatched; 8 h retraining clears red); monthly per-team results, published
once; three clean months earn the red flag."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from safegrid.fieldwork import lifecycle
from safegrid.fieldwork.rectification import (
    Colour,
    NewRectification,
    Rectification,
    do_record_progress,
    do_rectify,
)
from safegrid.fieldwork.team_results import do_publish_month
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.security.policy import Post
from tests.fixtures.field import Crew


def test_fld_8_red_suspends_until_8_hours_retraining(crew: Crew) -> None:
    order = crew.order()
    [red] = do_rectify(
        crew.uow(crew.leader), [NewRectification(crew.operator.id, Colour.RED, "未验电即开箱")]
    )
    with pytest.raises(ValidationProblem, match="suspended"):
        lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    do_record_progress(crew.uow(crew.leader), red, retraining_hours=Decimal(6))
    with pytest.raises(ValidationProblem, match=r"6\.0 h done"):
        lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    do_record_progress(crew.uow(crew.leader), red, retraining_hours=Decimal(2))
    assert lifecycle.do_dispatch(crew.uow(crew.leader), [order])


def test_fld_8_black_removes_from_post_and_withholds_bonus(crew: Crew) -> None:
    order = crew.order()
    [black] = do_rectify(
        crew.uow(crew.leader), [NewRectification(crew.supervisor.id, Colour.BLACK, "屡次违章")]
    )
    with pytest.raises(ValidationProblem, match="removed from post"):
        lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    with pytest.raises(ConflictError):
        do_record_progress(crew.uow(crew.leader), black, retraining_hours=Decimal(8))
    with crew.world.platform.engine.connect() as conn:
        assert conn.execute(select(Rectification.bonus_withheld)).scalar_one() is True


def test_fld_8_yellow_review_due_in_3_days_does_not_suspend(crew: Crew) -> None:
    do_rectify(
        crew.uow(crew.leader), [NewRectification(crew.operator.id, Colour.YELLOW, "记录不全")]
    )
    with crew.world.platform.engine.connect() as conn:
        due = conn.execute(select(Rectification.review_due_on)).scalar_one()
    assert (due - clock.business_day()).days == 3
    assert lifecycle.do_dispatch(crew.uow(crew.leader), [crew.order()])


def test_fld_8_monthly_results_and_red_flag_after_three_clean_months(
    crew: Crew, fixed_now: clock.FixedClock
) -> None:
    province_head = crew.world.staff(Post.DEPARTMENT_HEAD, "prov")
    flags = {}
    for month in (9, 10, 11):
        fixed_now._at = datetime(2026, month, 10, 2, tzinfo=UTC)
        if month == 9:
            do_rectify(
                crew.uow(crew.leader),
                [NewRectification(crew.operator.id, Colour.YELLOW, "记录不全")],
            )
        fixed_now._at = datetime(2026, month + 1, 2, 2, tzinfo=UTC)
        rows = {r.unit: r for r in do_publish_month(crew.uow(province_head), f"2026-{month:02d}")}
        assert set(rows) == {"富春供电所", "丹城供电所"}
        flags[month] = {unit: (r.yellow, r.clean, r.red_flag) for unit, r in rows.items()}
    assert flags[9]["富春供电所"] == (1, False, False)
    assert flags[10]["丹城供电所"] == (0, True, False)  # two clean months: not yet
    assert flags[11]["丹城供电所"] == (0, True, True)  # the third earns the red flag
    assert flags[11]["富春供电所"] == (0, True, False)  # September was not clean
    with pytest.raises(ConflictError, match="already published"):
        do_publish_month(crew.uow(province_head), "2026-11")
    with pytest.raises(ValidationProblem, match="not over"):
        do_publish_month(crew.uow(province_head), "2026-12")
