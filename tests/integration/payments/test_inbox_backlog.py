"""PAY-7 / AUD-3, the callback inbox's backlog (issue 11 §3): acknowledged callbacks that
wait longer than the setting for the ledger raise one alert to the managers per backlog,
from a scheduled job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from safegrid.alerts.models import Alert
from safegrid.customers.models import Account
from safegrid.payments.online.callbacks import applier as inbox_applier
from safegrid.payments.online.callbacks import backlog
from safegrid.payments.online.settings import get_channel_settings
from safegrid.platform import clock, jobs
from safegrid.security.models import AuditEntry
from tests.fixtures.bills import Bills
from tests.fixtures.online import NOTIFY, Online


@pytest.fixture(autouse=True)
def _nobody_applies(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SAFEGRID_PAY_INBOX_APPLIER", "none")
    monkeypatch.setenv("SAFEGRID_PAY_INBOX_BACKLOG_ALERT_MINUTES", "10")
    get_channel_settings.cache_clear()
    yield
    get_channel_settings.cache_clear()
    clock.set_clock(clock.SystemClock())


def _signed(online: Online, bills: Bills, amount: str) -> dict[str, str]:
    account_id = bills.account("stationA")
    bills.bill(account_id, amount)
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        number = uow.session.scalar(select(Account.number).where(Account.id == account_id))
    assert number
    placed = online.order(number, amount, ip=f"10.4.{account_id // 250}.{account_id % 250}")
    form: dict[str, str] = json.loads(online.gateway.pay(placed.order_no).body)
    return form


def _alerts(online: Online) -> list[Alert]:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        found = uow.session.scalars(
            select(Alert).where(Alert.key_field == backlog.KIND).order_by(Alert.id)
        ).all()
        uow.session.expunge_all()
        return list(found)


def _watch(online: Online) -> dict[str, int]:
    w = online.world
    return backlog.run_backlog_watch(w.platform, w.system())


def test_pay_7_an_old_inbox_backlog_alerts_the_managers_once_per_backlog(
    online: Online, bills: Bills
) -> None:
    first, second = _signed(online, bills, "61.00"), _signed(online, bills, "62.00")
    start = clock.now()
    fixed = clock.FixedClock(start)
    clock.set_clock(fixed)
    assert online.client.post(NOTIFY, data=first).text == "success"
    fixed.advance(timedelta(minutes=9))
    assert _watch(online) == {"alerted": 0}  # waiting, but not for too long yet
    fixed.advance(timedelta(minutes=2))  # 11 minutes: the applier must be down
    assert _watch(online) == {"alerted": 1}
    [alert] = _alerts(online)
    assert alert.object_type == "payment_callback_inbox" and alert.after
    assert "11 min" in alert.after and alert.org_unit_id == online.world.units["prov"]
    fixed.advance(timedelta(minutes=5))
    assert _watch(online) == {"alerted": 0}  # the same backlog: not again every minute
    # The ledger catches up; a new backlog later is a new alert.
    assert inbox_applier.drain(online.platform) == 1
    fixed.advance(timedelta(minutes=20))
    assert _watch(online) == {"alerted": 0}
    assert online.client.post(NOTIFY, data=second).text == "success"
    fixed.advance(timedelta(minutes=10, seconds=1))
    assert _watch(online) == {"alerted": 1}
    assert len(_alerts(online)) == 2
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        audited = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "payment.inbox_backlog_alerted")
        ).all()
        assert [e.after["pending"] for e in audited if e.after] == [1, 1]


def test_pay_7_the_backlog_watch_is_a_platform_job() -> None:
    job = jobs.load()["payments.inbox_backlog"]
    assert job.fn is backlog.run_backlog_watch and job.schedule == "*/5 * * * *"
