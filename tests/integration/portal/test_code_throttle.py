"""HALL-6: sign-in codes are rationed by the database — one per number a minute, five per
number an hour, thirty an hour per client address — with a clear 429 naming the wait, and
nothing sent or stored for a refused request; concurrent requests for one number send one
code (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.portal import signin
from safegrid.portal.code_throttle import BY_ADDRESS, BY_NUMBER, CodeThrottledError
from safegrid.portal.identity import anonymous_actor
from safegrid.portal.models import PortalSignInCode
from tests.fixtures.apps import app_for
from tests.fixtures.portal import new_mobile
from tests.fixtures.world import World


def _ask(world: World, mobile: str, ip: str = "10.8.0.1") -> str:
    return signin.do_request_code(world.platform.uow(anonymous_actor(ip)), mobile)


def _sent(world: World) -> tuple[int, int]:
    with world.platform.engine.connect() as conn:
        codes = conn.scalar(select(func.count()).select_from(PortalSignInCode))
        sms = conn.scalar(
            select(func.count()).select_from(Notification).where(Notification.topic == signin.TOPIC)
        )
    return int(codes or 0), int(sms or 0)


def _later(seconds: float) -> None:
    clock.set_clock(clock.FixedClock(clock.now() + timedelta(seconds=seconds)))


def test_hall_6_codes_per_number_per_minute_and_hour(world: World) -> None:
    clock.set_clock(clock.FixedClock(clock.now()))
    mobile = new_mobile()
    _ask(world, mobile)
    with pytest.raises(CodeThrottledError) as again:
        _ask(world, mobile, ip="10.8.0.2")  # another address: the number's own limit
    assert again.value.status_code == 429 and again.value.retry_after == 60
    assert again.value.field == "mobile" and "60 s" in again.value.message
    assert again.value.headers == {"Retry-After": "60"}
    assert _sent(world) == (1, 1)  # the refused request sent and stored nothing
    for _ in range(BY_NUMBER.per_window - 1):
        _later(BY_NUMBER.gap.total_seconds())
        _ask(world, mobile)
    _later(BY_NUMBER.gap.total_seconds())
    with pytest.raises(CodeThrottledError) as hourly:
        _ask(world, mobile)
    assert hourly.value.retry_after == 3600 - 5 * 60
    _later(hourly.value.retry_after)
    _ask(world, mobile)  # a new hour
    assert _sent(world) == (6, 6)


def test_hall_6_codes_per_address_and_the_429_page(world: World) -> None:
    clock.set_clock(clock.FixedClock(clock.now()))
    for _ in range(BY_ADDRESS.per_window):
        _ask(world, new_mobile(), ip="10.8.1.1")
    with pytest.raises(CodeThrottledError) as pumped:
        _ask(world, new_mobile(), ip="10.8.1.1")
    assert pumped.value.retry_after == 3600
    _ask(world, new_mobile(), ip="10.8.1.2")  # another address is not held up

    client = TestClient(app_for(world.platform))
    mobile = new_mobile()
    first = client.post("/portal/login/code", data={"mobile": mobile})
    second = client.post("/portal/login/code", data={"mobile": mobile})
    assert first.status_code == 200
    assert second.status_code == 429
    assert "请 60 秒后再试" in second.text  # the portal speaks Chinese first


def test_hall_6_concurrent_requests_for_one_number_send_one_code(world: World) -> None:
    if world.platform.settings.is_sqlite:
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the race is run on PostgreSQL")
    mobile = new_mobile()
    n = 8
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = _ask(world, mobile, ip=f"10.8.2.{i}")
        except Exception as exc:  # the refusal is the result under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    refused = [r for r in results if isinstance(r, CodeThrottledError)]
    assert len(refused) == n - 1, results
    assert _sent(world) == (1, 1)
