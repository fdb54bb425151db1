"""ANA-3 in the utility: the arrears-risk model reads the caller's own bills and payments
(paid through the ledger, following the demo's hidden habits), scores each new bill once,
and a high-risk bill gets one early reminder before its due date."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from safegrid.analytics.arrears.history import bill_history
from safegrid.analytics.arrears.jobs import current_artefact, run_arrears_risk
from safegrid.analytics.arrears.services import (
    EARLY_DAYS,
    HIGH_RISK,
    do_send_early_reminders,
    do_store_scores,
)
from safegrid.analytics.models import AnalyticsModel, ArrearsScore
from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.billing.periods import first_day, shift
from safegrid.collection.models import Reminder
from safegrid.customers.models import Account
from safegrid.demo import payments as demo_payments
from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

PERIODS = [shift("2025-03", m) for m in range(8)]  # 2025-03 … 2025-10
TODAY = date(2025, 11, 15)  # 2025-10's bills were issued on the 3rd, due on the 18th
_numbers = itertools.count(1)


def _issue(world: World, accounts: dict[int, int]) -> None:
    rows = []
    for account, unit in accounts.items():
        for m, period in enumerate(PERIODS):
            issued = first_day(shift(period, 1)) + timedelta(days=2)
            n = next(_numbers)
            rows.append(
                {
                    "number": f"AR{n:010d}",
                    "account_id": account,
                    "period": period,
                    "kind": BillKind.NORMAL,
                    "sequence": 0,
                    "status": BillStatus.ISSUED,
                    "kwh": Decimal("200.00"),
                    "amount": Decimal(100 + (account * 7 + m * 13) % 90),
                    "issued_at": datetime.combine(issued, time(9), tzinfo=BUSINESS_TZ),
                    "due_date": issued + timedelta(days=15),
                    "org_unit_id": unit,
                }
            )
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(insert(Bill), rows)
        uow.audit("bill.test_issue", object_type="bill")
        uow.commit()


@pytest.fixture
def history(world: World, bills: Bills, tmp_path: Path) -> dict[int, int]:
    world.platform.settings.models_dir = tmp_path
    accounts = {bills.account(unit): world.units[unit] for unit in ["stationA", "stationB"] * 12}
    _issue(world, accounts)
    for period in PERIODS:  # the demo's own payment plan, through the ledger's capture
        demo_payments.pay_month(world.platform, 11, period, latest=False, last_day=TODAY)
    clock.set_clock(clock.FixedClock(datetime.combine(TODAY, time(2), tzinfo=BUSINESS_TZ)))
    return accounts


def test_ana_3_risk_of_each_new_bill_from_the_callers_own_history_with_early_reminders(
    world: World, history: dict[int, int]
) -> None:
    # The history a collector of station A reads: only his unit's bills, each with the
    # day it was paid in full.
    collector = world.actor(world.staff(Post.FINANCE, "stationA"))
    with world.platform.uow(collector, readonly=True) as uow:
        bills, reminders, plans = bill_history(uow, TODAY)
    assert set(bills["org_unit_id"]) == {world.units["stationA"]}
    assert len(bills) == 12 * len(PERIODS)
    paid = bills.dropna(subset=["settled_on"])
    assert (paid["settled_on"] >= paid["issued_on"]).all()
    late = pd.to_datetime(paid["settled_on"]) > pd.to_datetime(paid["due_on"])
    assert 0 < late.sum() < len(paid)  # the hidden habits make some pay late
    assert bills["settled_on"].isna().any()  # and some not at all
    assert reminders.empty and plans.empty

    # The daily run: trained once this month, each new bill scored once.
    actor = world.system()
    first = run_arrears_risk(world.platform, actor)
    same, _path = current_artefact(world.platform, actor, TODAY + timedelta(days=1))
    with world.platform.uow(actor, readonly=True) as uow:
        open_new = uow.session.scalars(
            select(Bill.id).where(Bill.period == PERIODS[-1], Bill.due_date >= TODAY)
        ).all()
        scores = uow.session.scalars(select(ArrearsScore)).all()
    assert first["stored"] == len(scores) > 0
    assert {s.bill_id for s in scores} <= set(open_new)
    assert all(" / " in s.reason and 0 <= s.score <= 1 for s in scores)
    assert same.version == first["model"]  # retrained once a month, not every day

    # Station A's riskiest bill (whatever the model said) made high-risk by hand.
    unit_a = world.units["stationA"]
    top = max((s for s in scores if s.org_unit_id == unit_a), key=lambda s: s.score)
    frame = pd.DataFrame({"bill_id": [top.bill_id], "score": [0.9], "reason": ["x / x"]})
    with world.platform.uow(actor) as uow:
        uow.session.get_one(ArrearsScore, top.id).score = 0.9
        uow.audit("test.raise_risk", object_type="arrears_score")
        uow.commit()
    assert do_store_scores(world.platform.uow(actor), top.model_id, frame, _bills(world)) == 0
    due = TODAY + timedelta(days=3)
    assert do_send_early_reminders(world.platform.uow(actor), due - timedelta(days=4)) == 0
    sent = do_send_early_reminders(world.platform.uow(actor), due - timedelta(days=EARLY_DAYS))
    resent = do_send_early_reminders(world.platform.uow(actor), due - timedelta(days=1))
    assert (sent, resent) == (1, 0)
    with world.platform.uow(actor, readonly=True) as uow:
        reminder = uow.session.scalars(select(Reminder)).one()
        note = uow.session.get_one(Notification, reminder.notification_id)
        linked = uow.session.get_one(ArrearsScore, top.id).reminder_id
    assert (reminder.bill_id, reminder.stage, linked) == (top.bill_id, -EARLY_DAYS, reminder.id)
    assert note.topic == "arrears.early_reminder" and "分次结算" in note.body

    # The console (ANA-5), five days after the due date: station A's collector sees his
    # unit's high-risk bills to offer instalments, with the model version, in his language.
    with world.platform.uow(actor, readonly=True) as uow:
        numbers = dict(uow.session.execute(select(Account.id, Account.number)).all())
        version = uow.session.get_one(AnalyticsModel, top.model_id).version
        risky_a = {
            s.id for s in uow.session.scalars(select(ArrearsScore)) if s.org_unit_id == unit_a
            and s.score >= HIGH_RISK
        }  # fmt: skip
    clock.set_clock(
        clock.FixedClock(datetime.combine(due + timedelta(days=5), time(9), tzinfo=BUSINESS_TZ))
    )
    client = TestClient(app_for(world.platform))
    staff = world.staff(Post.FINANCE, "stationA")
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))
    client.cookies.set(LANG_COOKIE, "en")

    page = client.get("/analytics/arrears-risk", params={"offer": "true"})
    home = client.get("/")

    assert page.status_code == 200
    listed = {int(i) for i in re.findall(r'<tr data-score="(\d+)">', page.text)}
    assert top.id in listed and listed <= risky_a
    assert not [
        n
        for s in scores
        if s.org_unit_id != unit_a
        for n in [numbers[s.account_id]]
        if n in page.text
    ]
    zh, en = top.reason.split(" / ")
    assert en in page.text and zh not in page.text and version in page.text
    todo_row = re.search(r'data-todo="analytics.plans_to_offer">(.*?)</li>', home.text, re.S)
    assert todo_row is not None
    assert f'data-testid="todo-count">{len(listed)}<' in todo_row.group(1)


def _bills(world: World) -> pd.DataFrame:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return bill_history(uow, TODAY)[0]
