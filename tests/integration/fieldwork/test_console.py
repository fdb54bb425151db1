"""The safety supervisor's console (FLD-1..8 dashboard per unit) and the FLD-7 review page
with the evidence side by side; the field app shell (OPS-6) holds no data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from safegrid.bootstrap import Platform
from safegrid.fieldwork import lifecycle
from safegrid.fieldwork.checklist import do_record_checks
from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus
from safegrid.fieldwork.supervision import do_draw
from safegrid.platform import clock
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.field import Crew, full_checklist


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _get(client: TestClient, crew: Crew, who: object, url: str) -> str:
    token = crew.world.token(who, "console")  # type: ignore[arg-type]
    resp = client.get(url, headers={"Cookie": f"{SESSION_COOKIE}={token}"})
    assert resp.status_code == 200, resp.text[:500]
    return resp.text


def test_fld_dashboard_per_unit_and_fld_7_evidence_side_by_side(
    crew: Crew, client: TestClient, fixed_now: clock.FixedClock
) -> None:
    order = crew.order()
    lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    lifecycle.do_advance(crew.uow(crew.operator), "accept", [order])
    do_record_checks(crew.uow(crew.operator), full_checklist(order, ohms="5.2"))  # stops it
    html = _get(client, crew, crew.supervisor, "/fieldwork/safety")
    assert "富春供电所" in html and "ground_resistance 1" in html and "stopped 1" in html
    fixed_now.advance(timedelta(days=40))  # the kits fall overdue
    html = _get(client, crew, crew.supervisor, "/fieldwork/safety")
    assert crew.kit_numbers[0] in html and "2026-12-25" in html
    outsider = crew.world.staff(Post.SAFETY_SUPERVISOR, "stationB")
    assert "富春供电所" not in _get(client, crew, outsider, "/fieldwork/safety")

    # FLD-7: a draw over a month where the order finished shows its evidence
    with crew.world.platform.engine.begin() as conn:
        conn.execute(
            update(WorkOrder)
            .where(WorkOrder.id == order)
            .values(
                status=WorkOrderStatus.FINISHED.value,
                finished_at=datetime(2026, 11, 23, 3, tzinfo=UTC),
            )
        )
    head = crew.world.staff(Post.DEPARTMENT_HEAD, "countyA")
    draw = do_draw(crew.uow(head), crew.world.units["countyA"], "2026-11", seed=7)
    assert draw.drawn == [order]
    html = _get(client, crew, head, f"/fieldwork/supervision/{draw.id}")
    assert html.count("data:image/jpeg;base64,") == 6
    assert "workorder.dispatched" in html and crew.kit_numbers[0] in html


def test_ops_6_field_app_shell_is_public_and_empty(client: TestClient) -> None:
    page = client.get("/field")
    assert page.status_code == 200 and 'rel="manifest"' in page.text
    assert "/static/field/app.js" in page.text
    sw = client.get("/field/sw.js")
    assert sw.status_code == 200 and sw.headers["service-worker-allowed"] == "/field"
