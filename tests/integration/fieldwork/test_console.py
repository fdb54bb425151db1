"""The safety supervisor's console (FLD-1..8 dashboard per unit) and the FLD-7 review page
with the evidence side by side; the field app shell (OPS-6) holds no data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update

from safegrid.bootstrap import Platform
from safegrid.fieldwork import lifecycle
from safegrid.fieldwork.checklist import do_record_checks
from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus
from safegrid.fieldwork.rectification import Colour, NewRectification, do_rectify
from safegrid.fieldwork.supervision import do_draw
from safegrid.platform import clock
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.fieldwork.todo import reviews_due
from safegrid.web.i18n import LANG_COOKIE
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


def test_fld_8_progress_is_recorded_on_the_dashboard_and_through_the_api(
    crew: Crew, client: TestClient
) -> None:
    """The to-do item "written reviews due" leads here; the page and the API clear what
    they may (yellow by the review, red at 8 h) and refuse black, each in one language."""
    yellow, red, black = do_rectify(
        crew.uow(crew.leader),
        [
            NewRectification(crew.operator.id, Colour.YELLOW, "记录不全"),
            NewRectification(crew.tester.id, Colour.RED, "未验电即开箱"),
            NewRectification(crew.operator.id, Colour.BLACK, "屡次违章"),
        ],
    )
    assert reviews_due(crew.uow(crew.supervisor)).count == 1
    cookie = {"Cookie": f"{SESSION_COOKIE}={crew.world.token(crew.supervisor, 'console')}"}
    html = client.get("/fieldwork/safety", headers=cookie).text
    assert f'data-testid="rectification-{yellow}"' in html and "屡次违章" in html

    def post(rid: int, data: dict[str, str], lang: str = "zh") -> Response:
        url = f"/fieldwork/rectifications/{rid}/progress"
        headers = {"Cookie": f"{cookie['Cookie']}; {LANG_COOKIE}={lang}"}
        return client.post(url, data=data, headers=headers, follow_redirects=False)

    done = post(yellow, {"written_review": "1"})
    assert done.status_code == 303 and done.headers["location"].endswith("done=cleared")
    assert reviews_due(crew.uow(crew.supervisor)).count == 0
    assert "整改已解除" in client.get(done.headers["location"], headers=cookie).text

    refused = post(black, {"retraining_hours": "8"})
    assert refused.status_code == 409 and "该整改已结束或不可解除" in refused.text
    assert "not clearable" not in refused.text  # one language
    bad = post(red, {"retraining_hours": "abc"}, "en")
    assert bad.status_code == 422 and "the hours must be a number" in bad.text
    assert post(red, {"retraining_hours": "30"}).status_code == 422
    assert post(red, {"retraining_hours": "6"}).headers["location"].endswith("done=progress")

    bearer = {"Authorization": f"Bearer {crew.world.token(crew.supervisor, 'api')}"}
    api = f"/api/field/rectifications/{red}/progress"
    resp = client.post(api, json={"retraining_hours": "2"}, headers=bearer)
    assert resp.status_code == 200 and resp.json() == {"cleared": True}
    assert client.post(api, json={"retraining_hours": "1"}, headers=bearer).status_code == 409

    # The auditor sees the page but records nothing.
    auditor = crew.world.staff(Post.AUDITOR, "stationA")
    auditor_cookie = {"Cookie": f"{SESSION_COOKIE}={crew.world.token(auditor, 'console')}"}
    assert "屡次违章" in client.get("/fieldwork/safety", headers=auditor_cookie).text
    forbidden = client.post(
        f"/fieldwork/rectifications/{black}/progress",
        data={"retraining_hours": "8"},
        headers=auditor_cookie,
    )
    assert forbidden.status_code == 403
