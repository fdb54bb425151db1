"""PAY-7, the idle inbox applier (issue 11 §3): it sleeps until the door commits a row —
woken by NOTIFY from the receiving transaction on PostgreSQL, by a datagram from the
receiving process on SQLite — instead of polling every 50 ms, and a long fallback look
remains."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from safegrid.customers.models import Account
from safegrid.payments.ledger.models import Payment
from safegrid.payments.online.callbacks import applier as inbox_applier
from safegrid.payments.online.callbacks import wakeup
from safegrid.payments.online.settings import get_channel_settings
from tests.fixtures.bills import Bills
from tests.fixtures.online import NOTIFY, Online

# Far longer than the test waits: only a wake-up can explain a prompt application.
FALLBACK = 120.0


@pytest.fixture(autouse=True)
def _a_separate_applier(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The receiving side as under ``safegrid serve``: it does not apply, another does."""
    monkeypatch.setenv("SAFEGRID_PAY_INBOX_APPLIER", "process")
    get_channel_settings.cache_clear()
    yield
    get_channel_settings.cache_clear()


def _signed(online: Online, bills: Bills, amount: str) -> dict[str, str]:
    account_id = bills.account("stationA")
    bills.bill(account_id, amount)
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        number = uow.session.scalar(select(Account.number).where(Account.id == account_id))
    assert number
    placed = online.order(number, amount, ip=f"10.3.{account_id // 250}.{account_id % 250}")
    form: dict[str, str] = json.loads(online.gateway.pay(placed.order_no).body)
    return form


def _payments(online: Online) -> int:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Payment)) or 0)


def test_pay_7_a_callback_committed_while_the_applier_sleeps_is_applied_promptly(
    online: Online, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    looks: list[float] = []
    real = inbox_applier.apply_pending

    def counted(*args: object, **kwargs: object) -> int:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        # Counted when it returns: a look the database refused for a moment is retried
        # a second later by design, and that is not polling.
        looks.append(time.monotonic())
        return found

    monkeypatch.setattr(inbox_applier, "apply_pending", counted)
    stop = threading.Event()
    done: list[int] = []
    runner = threading.Thread(
        target=lambda: done.append(inbox_applier.follow(online.platform, stop, idle=FALLBACK))
    )
    forms = [_signed(online, bills, f"{40 + i}.00") for i in range(2)]
    runner.start()
    try:
        # Idle: one look at the empty inbox, then asleep — not a look every 50 ms (30 in
        # 1.5 s). One more is allowed: a wake-up is a hint, and a stray one on a loaded
        # machine (CI, 2026-12-07) costs one look, which is what the design promises.
        time.sleep(1.5)
        assert 1 <= len(looks) <= 2, f"the idle applier looked {len(looks)} times in 1.5 s"
        for k, form in enumerate(forms, start=1):
            posted = time.monotonic()
            resp = online.client.post(NOTIFY, data=form)
            assert (resp.status_code, resp.text) == (200, "success")
            deadline = posted + 10
            while _payments(online) < k:
                assert time.monotonic() < deadline, "the sleeping applier was not woken"
                time.sleep(0.05)
            # Woken by the door, long before the fallback look.
            assert time.monotonic() - posted < 10 < FALLBACK
        time.sleep(1.0)
        before = len(looks)
        time.sleep(1.5)
        assert len(looks) <= before + 1, "the applier spins after applying"
    finally:
        stop.set()
        runner.join(10)
    # Stopping ends the sleep at once (the server's shutdown does not wait FALLBACK).
    assert not runner.is_alive() and done == [2]


def test_pay_7_a_rolled_back_batch_wakes_nobody_and_a_wakeup_is_one_look(
    online: Online,
) -> None:
    """The hint is tied to the commit on PostgreSQL (NOTIFY in the transaction); on both
    databases several wake-ups in a row are one look, not one per callback."""
    platform = online.platform
    with wakeup.Waiter(platform) as waiter:
        assert waiter.wait(0.05) is False  # nothing: the fallback interval ended it
        with platform.session_factory() as session:
            wakeup.announce(session)
            session.rollback()
        assert waiter.wait(0.3) is False
        for _ in range(3):
            with platform.session_factory() as session:
                wakeup.announce(session)
                session.commit()
            wakeup.poke(platform)
        assert waiter.wait(5) is True
        assert waiter.wait(0.05) is False
        waiter.interrupt()
        assert waiter.wait(FALLBACK) is True
