"""HALL-8: every hall fact is appended to the event store with its change; replaying the
store rebuilds the monitor's state exactly; a ticket's and a customer's history can be
traced. HALL-7: the feed hands the store to outside systems — pulled with a cursor under a
subscriber's own credential and scope, or pushed to its URL, signed, through the relay."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.hall import feed, halls, monitor, queue
from safegrid.hall.catalogue import BusinessType, WindowStatus
from safegrid.hall.models import FeedSubscriber
from safegrid.hall.schemas import FeedSubscriberCreate, Rating, Transfer, WindowUpdate
from safegrid.platform import clock
from safegrid.relay import relay, signing
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.hall import Halls
from tests.integration.platform.test_webhooks import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _busy_morning(h: Halls) -> dict[str, int]:
    """Takes, calls, a re-call, a transfer, completions, a no-show, ratings, a paused window."""
    h.open("hallA")
    h.open("hallB")
    pay, conn = h.window("hallA", 1, "payment,consult"), h.window("hallA", 2, "new_connection")
    h.window("hallB", 1)
    uow = h.world.platform.uow
    agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))
    customer = h.world.customer("stationA")
    first = h.take("hallA", customer_id=customer)
    for kind in (BusinessType.PAYMENT, BusinessType.CONSULT, BusinessType.NEW_CONNECTION):
        h.take("hallA", kind)
    h.take("hallB")
    queue.do_call_next(uow(agent), pay)
    queue.do_step(uow(agent), first.id, "recall")
    queue.do_step(uow(agent), first.id, "complete")
    queue.do_rate(uow(agent), first.id, Rating(score=5, comment="满意"))
    second = queue.do_call_next(uow(agent), pay)
    assert second is not None
    queue.do_transfer(uow(agent), second.id, Transfer(business_type=BusinessType.NEW_CONNECTION))
    third = queue.do_call_next(uow(agent), pay)
    assert third is not None
    queue.do_step(uow(agent), third.id, "no_show")
    queue.do_call_next(uow(agent), conn)  # stays at the window
    halls.do_update_window(
        uow(h.world.system()),
        pay,
        WindowUpdate(name="1号窗口", skills="payment", status=WindowStatus.PAUSED),
    )
    return {"customer": customer, "first": first.id}


def test_hall_8_rebuild_from_the_store_equals_the_live_monitor(hall_world: Halls) -> None:
    h = hall_world
    _busy_morning(h)
    hall_id = h.world.units["hallA"]
    with h.world.platform.uow(h.world.system(), readonly=True) as uow:
        live = monitor.live(uow, hall_id)
        rebuilt = monitor.rebuild(uow, hall_id)
    assert live.completed == 1 and live.no_show == 1 and live.ratings == 1
    assert live.waiting == {"new_connection": 1}
    # The ticket transferred to new connections keeps its place: it is called before B0001.
    assert [w.serving for w in live.windows.values()] == [None, "A0002"]
    assert live.recent_calls[0] == ("A0002", 2)
    assert rebuilt.comparable() == live.comparable()


def test_hall_8_cli_rebuild_reports_agreement(hall_world: Halls) -> None:
    from typer.testing import CliRunner

    from safegrid.cli import app as cli_app

    h = hall_world
    _busy_morning(h)
    manager = h.world.staff(Post.HALL_MANAGER, "countyA")
    hall_id = h.world.units["hallA"]
    result = CliRunner().invoke(
        cli_app, ["hall", "rebuild-monitor", str(hall_id), "--as", manager.username]
    )
    assert result.exit_code == 0, result.output
    assert "一致 / agrees" in result.output


def test_hall_8_trace_per_ticket_and_per_customer(hall_world: Halls) -> None:
    h = hall_world
    ids = _busy_morning(h)
    http = TestClient(app_for(h.world.platform))
    agent = h.world.staff(Post.HALL_AGENT, "countyA")
    http.headers["Authorization"] = f"Bearer {h.world.token(agent)}"
    by_ticket = http.get(f"/api/hall/tickets/{ids['first']}/events").json()
    assert [e["kind"] for e in by_ticket] == [
        "ticket_taken",
        "ticket_called",
        "ticket_recalled",
        "ticket_completed",
        "ticket_rated",
    ]
    by_customer = http.get(f"/api/hall/customers/{ids['customer']}/events").json()
    assert [e["id"] for e in by_customer] == [e["id"] for e in by_ticket]
    assert by_ticket[-1]["payload"]["score"] == 5


def test_hall_7_feed_pull_with_cursor_own_credential_and_scope(hall_world: Halls) -> None:
    h = hall_world
    _busy_morning(h)
    sub = feed.do_create_subscriber(
        h.world.platform.uow(h.world.system()),
        FeedSubscriberCreate(name="hz-command-centre", org_unit_id=h.world.units["cityA"]),
    )
    http = TestClient(app_for(h.world.platform))
    auth = {"Authorization": f"Bearer {sub.token}"}
    page = http.get("/api/hall/feed", params={"limit": 5}, headers=auth).json()
    assert len(page["events"]) == 5 and page["more"]
    seen = page["events"]
    while page["more"]:
        page = http.get(
            "/api/hall/feed", params={"after": page["cursor"], "limit": 5}, headers=auth
        ).json()
        seen += page["events"]
    assert {e["org_unit_id"] for e in seen} == {h.world.units["hallA"]}  # not hallB
    assert [e["id"] for e in seen] == sorted({e["id"] for e in seen})
    # A forged or missing credential: 401, and nothing read.
    assert http.get("/api/hall/feed", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert http.get("/api/hall/feed").status_code == 401
    # The token is stored only as its digest.
    with h.world.platform.engine.connect() as c:
        assert c.scalar(select(FeedSubscriber.token_digest)) != sub.token


def test_hall_7_feed_push_is_signed_and_resumes_from_its_cursor(
    hall_world: Halls, receiver: Receiver
) -> None:
    h = hall_world
    h.open("hallA")
    sub = feed.do_create_subscriber(
        h.world.platform.uow(h.world.system()),
        FeedSubscriberCreate(
            name="ningbo-centre", org_unit_id=h.world.units["hallA"], webhook_url=receiver.url
        ),
    )
    receiver.status = 503
    h.take("hallA")
    relay.drain(h.world.platform)
    assert len(receiver.requests) == 1  # tried, refused: the cursor stays
    with h.world.platform.engine.connect() as c:
        assert c.scalar(select(FeedSubscriber.pushed_through)) == 0
    receiver.status = 200
    h.take("hallA")
    h.take("hallA")
    relay.drain(h.world.platform)
    headers, body = receiver.requests[-1]
    signing.verify(sub.signing_secret, headers, body, clock.now())
    sent = json.loads(body)
    assert [e["payload"]["number"] for e in sent["events"]] == ["A0001", "A0002", "A0003"]
    with h.world.platform.engine.connect() as c:
        assert c.scalar(select(FeedSubscriber.pushed_through)) == sent["cursor"]
