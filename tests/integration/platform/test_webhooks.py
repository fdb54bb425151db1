"""Webhooks (ADR 0016): a real HTTP receiver on 127.0.0.1 gets signed events it can verify
(and a replay it can refuse); a failing receiver is retried with exponential backoff, then
dead, visible, and re-queued by an administrator; disabling a webhook lets its events go.
Administration goes through the API and CLI, audited."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from safegrid.bootstrap import Platform
from safegrid.cli import app as cli_app
from safegrid.platform import clock, events
from safegrid.relay import relay, services, signing
from safegrid.relay.models import DeliveryState, EventDelivery
from safegrid.security.actor import Actor
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World
from tests.integration.platform.relay_support import Recorder, RelayProbed, emit_probes

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
runner = CliRunner()


class Receiver:
    """A real HTTP server: records each request, answers with the next queued status."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"receiver broken")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/safegrid"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _admin_client(world: World, platform: Platform) -> TestClient:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    client = TestClient(app_for(platform))
    client.headers["Authorization"] = f"Bearer {world.token(admin, 'api')}"
    return client


def _create(client: TestClient, url: str, events: str = "Customer*") -> tuple[int, str]:
    resp = client.post(
        "/api/events/webhooks", json={"name": "hall-feed", "url": url, "events": events}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    return body["webhook"]["id"], body["secret"]


def _deliveries(platform: Platform) -> list[EventDelivery]:
    with platform.uow(Actor.system("tests", "job"), readonly=True) as uow:
        rows = uow.session.scalars(select(EventDelivery).order_by(EventDelivery.id)).all()
        for r in rows:
            uow.session.expunge(r)
        return list(rows)


def test_hall_7_receiver_gets_a_signature_it_can_verify_and_a_replay_it_can_refuse(
    world: World, platform: Platform, receiver: Receiver
) -> None:
    client = _admin_client(world, platform)
    _, secret = _create(client, receiver.url)
    # The secret is stored encrypted (DATA-2), never in the clear.
    with platform.engine.connect() as conn:
        stored = conn.execute(text("SELECT secret FROM event_webhooks")).scalar_one()
    assert stored.startswith("sm4gcm$") and secret not in stored

    cid = world.customer("stationA")
    emit_probes(platform, 2)  # not in the webhook's filter: never sent to it
    relay.drain(platform)
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    signing.verify(secret, headers, body, clock.now())
    sent = json.loads(body)
    assert sent["topic"] == "CustomerRegistered" and sent["payload"]["customer_id"] == cid
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower[signing.EVENT_ID.lower()] == str(sent["id"])
    assert lower[signing.EVENT.lower()] == "CustomerRegistered"
    with pytest.raises(signing.SignatureError, match="does not match"):
        signing.verify(secret, headers, body.replace(b"Customer", b"Kustomer"), clock.now())
    with pytest.raises(signing.SignatureError, match="does not match"):
        signing.verify("another-secret", headers, body, clock.now())
    with pytest.raises(signing.SignatureError, match="replay"):
        signing.verify(secret, headers, body, clock.now() + timedelta(minutes=10))
    assert client.get("/api/events/status").json()["unpublished"] == 0


def test_hall_7_failing_receiver_is_retried_with_backoff_then_dead_and_requeued(
    world: World, platform: Platform, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.settings, "events_max_attempts", 4)
    monkeypatch.setattr(platform.settings, "events_retry_base_seconds", 30.0)
    clock.set_clock(at := clock.FixedClock(T0))
    client = _admin_client(world, platform)
    _create(client, receiver.url)
    receiver.status = 500
    world.customer("stationA")

    waits = []
    for _ in range(3):
        report = relay.drain(platform)
        assert report.retrying == 1
        (d,) = _deliveries(platform)
        waits.append(d.next_attempt_at - at.now())
        assert relay.drain(platform).idle  # nothing due before the backoff has passed
        at.advance(d.next_attempt_at - at.now())
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert relay.drain(platform).dead == 1
    (d,) = _deliveries(platform)
    assert (d.state, d.attempts, d.next_attempt_at) == (DeliveryState.DEAD, 4, None)
    assert d.last_error == "HTTP 500: receiver broken"
    assert len(receiver.requests) == 4

    # Visible: the status says a person is needed (CLI exit 1, API, console count).
    result = runner.invoke(cli_app, ["events", "status"])
    assert result.exit_code == 1, result.output
    assert "dead 1" in result.output
    dead = client.get("/api/events/deliveries/dead").json()
    assert [x["id"] for x in dead] == [d.id]

    receiver.status = 204
    resp = client.post("/api/events/deliveries/requeue", json={"delivery_ids": [d.id]})
    assert resp.status_code == 200 and resp.json() == {"requeued": 1}
    relay.drain(platform)
    assert len(receiver.requests) == 5
    (d,) = _deliveries(platform)
    assert d.state == DeliveryState.DELIVERED
    result = runner.invoke(cli_app, ["events", "status"])
    assert result.exit_code == 0, result.output


def test_hall_7_an_unreachable_receiver_is_tried_once_per_batch_and_disabling_drops_its_events(
    world: World, platform: Platform
) -> None:
    client = _admin_client(world, platform)
    closed = Receiver()
    url = closed.url
    closed.close()  # nothing listens there any more: connection refused
    hook_id, _ = _create(client, url)
    world.customer("stationA")
    world.customer("stationA")
    report = relay.drain(platform)
    assert report.retrying == 2
    errors = [d.last_error or "" for d in _deliveries(platform)]
    assert errors[0].startswith("ConnectError")
    assert errors[1].startswith("not tried, endpoint failing: ConnectError")
    assert client.get("/api/events/status").json()["unpublished"] == 2

    resp = client.post(f"/api/events/webhooks/{hook_id}/disable")
    assert resp.status_code == 200 and resp.json()["active"] is False
    assert {d.state for d in _deliveries(platform)} == {DeliveryState.DROPPED}
    status = client.get("/api/events/status").json()
    assert status["unpublished"] == 0 and status["active_webhooks"] == 0
    assert client.post(f"/api/events/webhooks/{hook_id}/disable").status_code == 409
    assert client.post("/api/events/webhooks/987654/disable").status_code == 404
    with platform.uow(world.system(), readonly=True) as uow:
        actions = list(
            uow.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.startswith("events.webhook"))
                .order_by(AuditEntry.seq)
            )
        )
    assert actions == ["events.webhook_created", "events.webhook_disabled"]


def test_hall_7_bad_webhook_input_is_a_clear_4xx_and_writes_nothing(
    world: World, platform: Platform
) -> None:
    client = _admin_client(world, platform)
    bad = [
        ({"name": "x1", "url": "ftp://example.org/in", "events": "*"}, "url"),
        ({"name": "x2", "url": "http://user:pw@example.org/in", "events": "*"}, "url"),
        ({"name": "x3", "url": "https://example.org/in", "events": "Bad Name"}, "events"),
    ]
    for body, field in bad:
        resp = client.post("/api/events/webhooks", json=body)
        assert resp.status_code == 422, resp.text
        assert field in resp.text
    _create(client, "https://example.org/in")
    again = client.post(
        "/api/events/webhooks",
        json={"name": "hall-feed", "url": "https://example.org/other", "events": "*"},
        headers={"Accept-Language": "en"},  # the English text names the webhook
    )
    assert again.status_code == 409 and "hall-feed" in again.text
    assert len(services.list_webhooks(platform.uow(world.system(), readonly=True))) == 1


def test_hall_7_cli_manages_webhooks_as_a_named_administrator(
    world: World, platform: Platform
) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    cashier = world.staff(Post.CASHIER, "stationA")
    args = ["events", "webhooks", "add", "--name", "ops", "--url", "https://ops.example/in"]
    refused = runner.invoke(cli_app, [*args, "--as", cashier.username])
    assert refused.exit_code == 1 and "events.manage" in refused.output
    added = runner.invoke(
        cli_app, [*args, "--events", "Payment*,CustomerRegistered", "--as", admin.username]
    )
    assert added.exit_code == 0, added.output
    assert "secret (shown once" in added.output
    (hook,) = services.list_webhooks(platform.uow(world.system(), readonly=True))
    assert hook.events == "Payment*,CustomerRegistered" and hook.created_by == admin.username
    listed = runner.invoke(cli_app, ["events", "webhooks", "list"])
    assert listed.exit_code == 0 and "│ ops  │" in listed.output
    off = runner.invoke(
        cli_app, ["events", "webhooks", "disable", str(hook.id), "--as", admin.username]
    )
    assert off.exit_code == 0, off.output
    assert runner.invoke(cli_app, ["events", "relay"]).exit_code == 0
    requeue = ["events", "requeue", "--as", admin.username]
    assert runner.invoke(cli_app, requeue).exit_code == 2  # neither ids nor --all-dead
    none = runner.invoke(cli_app, [*requeue, "--all-dead"])
    assert none.exit_code == 0 and "requeued 0" in none.output
    missing = runner.invoke(cli_app, [*requeue, "987654"])
    assert missing.exit_code == 1 and "987654" in missing.output


def test_hall_7_console_jobs_page_counts_the_event_backlog(
    world: World, platform: Platform
) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    client = TestClient(app_for(platform))
    client.cookies.set(SESSION_COOKIE, world.token(admin, "console"))
    emit_probes(platform, 3)
    page = client.get("/jobs")
    assert page.status_code == 200
    assert "事件外发" in page.text  # Chinese first
    assert 'data-testid="event-backlog">3<' in page.text
    assert 'role="alert"' not in page.text
    relay.drain(platform)
    assert 'data-testid="event-backlog">0<' in client.get("/jobs").text


def test_hall_7_console_lists_dead_deliveries_and_an_administrator_requeues_them(
    world: World, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.settings, "events_max_attempts", 1)
    failing = Recorder(fail=lambda rs: True)
    events.subscribe(RelayProbed, failing, name="test.console.failing")
    try:
        emit_probes(platform, 1)
        relay.drain(platform)
    finally:
        events.unsubscribe("test.console.failing")
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    client = TestClient(app_for(platform))
    client.cookies.set(SESSION_COOKIE, world.token(admin, "console"))
    page = client.get("/jobs").text
    assert 'role="alert"' in page and 'data-testid="dead-deliveries"' in page
    assert "subscriber:test.console.failing" in page and "RuntimeError: subscriber is down" in page
    done = client.post("/jobs/events/requeue", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/jobs?done=requeued"
    (d,) = _deliveries(platform)
    assert (d.state, d.attempts) == (DeliveryState.PENDING, 0)
    assert "已重新排队" in client.get("/jobs?done=requeued").text
    with platform.uow(world.system(), readonly=True) as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "events.deliveries_requeued")
        ).one()
    assert entry.actor_name == admin.username and entry.channel == "web"
