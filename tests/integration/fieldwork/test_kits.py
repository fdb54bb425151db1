"""FLD-1: a numbered 8-piece kit bound to the worker; insulation tests due on the 25th;
dispatch refuses a crew member whose kit is missing, overdue or failed, naming the kit and
the date; forged tests are refused, logged, and write nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from safegrid.fieldwork import kits, lifecycle
from safegrid.fieldwork.safety_models import KitPiece, KitTest, ToolKit
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.field import Crew, kit_pieces


def _count(crew: Crew, model: type, **where: object) -> int:
    with crew.world.platform.engine.connect() as conn:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return int(conn.execute(stmt).scalar_one())


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (date(2026, 11, 23), date(2026, 10, 25)),
        (date(2026, 11, 25), date(2026, 10, 25)),
        (date(2026, 11, 26), date(2026, 11, 25)),
        (date(2026, 1, 3), date(2025, 12, 25)),
    ],
)
def test_fld_1_due_on_the_25th(day: date, due: date) -> None:
    assert kits.last_due(day) == due


def test_fld_1_kit_numbered_and_bound_once(crew: Crew) -> None:
    assert all(n.startswith("KIT") for n in crew.kit_numbers)
    assert len(set(crew.kit_numbers)) == 2
    with pytest.raises(ConflictError, match="already holds a kit"):
        kits.do_issue_kits(
            crew.uow(crew.leader), [kits.NewKit(crew.operator.id, kit_pieces("again"))]
        )
    other = crew.world.staff(Post.FIELD_WORKER, "stationA")
    seven = kit_pieces("x")
    seven.pop(KitPiece.BELT.value)
    with pytest.raises(ValidationProblem, match="8 pieces"):
        kits.do_issue_kits(crew.uow(crew.leader), [kits.NewKit(other.id, seven)])
    assert _count(crew, ToolKit) == 2


def test_fld_1_dispatch_refuses_overdue_kit_naming_kit_and_date(
    crew: Crew, fixed_now: clock.FixedClock
) -> None:
    # Tested 2026-11-20, which covers the 2026-11-25 due date; on 2026-12-25 the next test
    # falls due, so on 2026-12-26 the kit is overdue.
    fixed_now.advance(timedelta(days=32))
    assert lifecycle.do_dispatch(crew.uow(crew.leader), [crew.order()])
    fixed_now.advance(timedelta(days=1))
    late = crew.order()
    with pytest.raises(ValidationProblem) as refused:
        lifecycle.do_dispatch(crew.uow(crew.leader), [late])
    assert crew.kit_numbers[0] in refused.value.message
    assert "2026-12-25" in refused.value.message
    assert _count(crew, AuditEntry, action="workorder.dispatch_refused") == 1


def test_fld_1_failed_test_blocks_and_passing_retest_clears(
    crew: Crew, fixed_now: clock.FixedClock
) -> None:
    order = crew.order()
    crew.test_kits(clock.business_day(), passed=False)
    with pytest.raises(ValidationProblem, match="failed its insulation test"):
        lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    crew.test_kits(clock.business_day())
    assert lifecycle.do_dispatch(crew.uow(crew.leader), [order])


def test_fld_1_worker_without_kit_is_not_dispatched(crew: Crew) -> None:
    from safegrid.fieldwork import services

    loner = crew.world.staff(Post.FIELD_WORKER, "stationA")
    order = services.do_open_work_order(
        crew.uow(crew.leader),
        services.NewWorkOrder(
            services.WorkOrderKind.READING, crew.meter_id, clock.business_day(), loner.id
        ),
    )
    with pytest.raises(ValidationProblem, match="has no tool kit"):
        lifecycle.do_dispatch(crew.uow(crew.leader), [order])


@pytest.mark.parametrize(
    ("forgery", "message"),
    [
        ("own_kit", "own kit"),
        ("future", "future"),
        ("backdated", "predates"),
        ("pieces", "8 pieces"),
        ("certificate", "certificate number was already used"),
    ],
)
def test_fld_1_forged_kit_test_refused_logged_nothing_written(
    crew: Crew, forgery: str, message: str
) -> None:
    today = clock.business_day()
    number = crew.kit_numbers[0]
    results = {p.value: True for p in KitPiece}
    tester, test = crew.tester, kits.KitTestIn(number, "CERT-NEW", today, results)
    if forgery == "own_kit":
        tester = crew.operator
    elif forgery == "future":
        test = kits.KitTestIn(number, "CERT-NEW", today + timedelta(days=1), results)
    elif forgery == "backdated":
        test = kits.KitTestIn(number, "CERT-NEW", today - timedelta(days=10), results)
    elif forgery == "pieces":
        test = kits.KitTestIn(number, "CERT-NEW", today, {"gloves": True})
    else:
        test = kits.KitTestIn(
            number, f"CERT-{number}-{today - timedelta(days=3)}-0-1", today, results
        )
    before = _count(crew, KitTest)
    # a good test of the other kit in the same batch is not written either
    good = kits.KitTestIn(crew.kit_numbers[1], "CERT-GOOD", today, results)
    with pytest.raises((ValidationProblem, ConflictError), match=message):
        kits.do_record_kit_tests(crew.uow(tester), [good, test])
    assert _count(crew, KitTest) == before
    assert _count(crew, AuditEntry, action="toolkit.test_refused") == 1
