"""The start page shows the demo's history filling in (Chinese first, English), the box
refreshes itself by htmx until the history is finished, and a database that is not a
demo never shows it."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import update

from safegrid.demo.models import DemoHistory, DemoHistoryMonth
from safegrid.platform import clock
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.world import World


def _client(world: World) -> TestClient:
    clerk = world.staff(Post.HALL_AGENT, "countyA")
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(clerk, "console"))
    return client


def _plan(world: World, done: int) -> None:
    with world.platform.uow(world.system()) as uow:
        uow.session.add(
            DemoHistory(
                id=1,
                seed=1,
                first_day=date(2026, 1, 1),
                last_day=date(2026, 4, 30),
                planned_at=clock.now(),
            )
        )
        for n in range(1, 5):
            uow.session.add(
                DemoHistoryMonth(
                    period=f"2026-0{n}",
                    first_day=date(2026, n, 1),
                    last_day=date(2026, n, 28),
                    billed=True,
                    readings=1000 if n <= done else 0,
                    bills=0,
                    payments=0,
                    done_at=clock.now() if n <= done else None,
                )
            )
        uow.audit("demo.test", object_type="demo")
        uow.commit()


def _finish(world: World) -> None:
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(update(DemoHistoryMonth).values(done_at=clock.now()))
        uow.session.execute(update(DemoHistory).values(finished_at=clock.now()))
        uow.audit("demo.test", object_type="demo")
        uow.commit()


def test_org_1_start_page_shows_the_history_filling_in_until_it_is_done(world: World) -> None:
    client = _client(world)
    _plan(world, done=1)
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-testid="demo-history"' in page.text
    assert "正在后台生成：已完成 4 个月中的 1 个，正在生成 2026-02" in page.text
    assert 'hx-get="/demo/history"' in page.text and "25%" in page.text
    client.cookies.set(LANG_COOKIE, "en")
    english = client.get("/demo/history", headers={"HX-Request": "true"})
    assert "month 1 of 4 done, now 2026-02" in english.text
    client.cookies.set(LANG_COOKIE, "zh")

    _finish(world)
    last = client.get("/demo/history", headers={"HX-Request": "true"})
    assert "演示历史数据已生成完毕" in last.text
    assert "hx-get" not in last.text  # stops polling
    assert 'data-testid="demo-history"' not in client.get("/").text


def test_org_1_start_page_of_a_database_without_a_demo_has_no_history_box(world: World) -> None:
    client = _client(world)
    assert 'data-testid="demo-history"' not in client.get("/").text
    assert client.get("/demo/history").status_code == 200
