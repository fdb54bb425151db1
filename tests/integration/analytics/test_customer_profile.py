"""ANA-4 customer profiles on the utility's own data: the weights are learned from the
arrears of the newest period past due (features read as of the day its bills were issued),
stored as a registered artefact, and the similar-customer search and the t-SNE map read
only the caller's units (ORG-2)."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from safegrid.analytics.models import AnalyticsModel
from safegrid.analytics.profile.frame import arrears_label, profile_frame
from safegrid.analytics.profile.groups import FEATURES
from safegrid.analytics.profile.jobs import run_profile_training, train_profile
from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.billing.periods import first_day, shift
from safegrid.customers.models import Account
from safegrid.demo import payments as demo_payments
from safegrid.payments.ledger.models import Payment
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

PERIODS = [shift("2025-03", m) for m in range(8)]  # 2025-03 … 2025-10
TODAY = date(2025, 11, 15)  # 2025-10's bills are not yet due: 2025-09 is the label
PER_UNIT = 18
_numbers = itertools.count(1)


def _at(day: date, hour: int = 9) -> clock.FixedClock:
    return clock.FixedClock(datetime.combine(day, time(hour), tzinfo=BUSINESS_TZ))


@pytest.fixture
def accounts(world: World, bills: Bills, tmp_path: Path) -> dict[int, str]:
    """account id → unit name; billed monthly, paid by the demo's hidden habits."""
    world.platform.settings.models_dir = tmp_path
    clock.set_clock(_at(date(2024, 6, 1)))  # the accounts opened long before the bills
    made = {bills.account(u): u for u in ["stationA", "stationB"] * PER_UNIT}
    rows = []
    for account, unit in made.items():
        for m, period in enumerate(PERIODS):
            issued = first_day(shift(period, 1)) + timedelta(days=2)
            rows.append(
                {
                    "number": f"CP{next(_numbers):010d}",
                    "account_id": account,
                    "period": period,
                    "kind": BillKind.NORMAL,
                    "sequence": 0,
                    "status": BillStatus.ISSUED,
                    "kwh": Decimal(150 + account % 7 * 60 + m * 5),
                    "amount": Decimal(80 + (account * 7 + m * 13) % 90),
                    "issued_at": datetime.combine(issued, time(9), tzinfo=BUSINESS_TZ),
                    "due_date": issued + timedelta(days=15),
                    "org_unit_id": world.units[unit],
                }
            )
    # One 2025-09 bill re-issued after a correction (退补), due after TODAY: it must not
    # hold the period back from being the label.
    reissued = dict(rows[6], number="CP-REISSUED", sequence=1)
    reissued["issued_at"] = datetime.combine(date(2025, 11, 10), time(9), tzinfo=BUSINESS_TZ)
    reissued["due_date"] = date(2025, 11, 25)
    rows.append(reissued)
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(insert(Bill), rows)
        uow.audit("bill.test_issue", object_type="bill")
        uow.commit()
    for period in PERIODS:
        demo_payments.pay_month(world.platform, 23, period, latest=False, last_day=TODAY)
    clock.set_clock(_at(TODAY, 2))
    return made


def test_ana_4_weights_learned_from_arrears_and_similar_customers_in_scope(
    world: World, accounts: dict[int, str]
) -> None:
    agent = world.actor(world.staff(Post.HALL_AGENT, "stationA"))
    with world.platform.uow(agent, readonly=True) as uow:
        label, issued, period = arrears_label(uow.session, clock.now())
        frame = profile_frame(uow.session, issued)
        due = {
            b.id: b.due_date
            for b in uow.session.scalars(
                select(Bill).where(Bill.period == period, Bill.due_date < TODAY)
            )
        }
        paid = uow.session.execute(select(Payment.bill_id, Payment.captured_at)).all()
    # The caller's accounts only, every feature a number in its natural range.
    mine = {a for a, u in accounts.items() if u == "stationA"}
    assert set(frame.index) == mine and set(label.index) == mine
    assert period == "2025-09" and issued.astimezone(BUSINESS_TZ).date() == date(2025, 10, 3)
    assert frame[list(FEATURES)].notna().all().all()
    assert frame["late_share"].between(0, 1).all() and (frame["residential"] == 1).all()
    # The label, checked against the payments themselves: paid on or before the due day.
    on_time = {b for b, at in paid if b in due and at.astimezone(BUSINESS_TZ).date() <= due[b]}
    with world.platform.uow(agent, readonly=True) as uow:
        owner = dict(
            uow.session.execute(select(Bill.id, Bill.account_id).where(Bill.id.in_(due))).all()
        )
    expected = {owner[b]: int(b not in on_time) for b in owner}
    assert label.to_dict() == expected and 0 < label.sum() < len(label)

    # The monthly job learns on every account, saves and registers the artefact once.
    first = run_profile_training(world.platform, world.system())
    again = run_profile_training(world.platform, world.system())
    assert first["retrained"] and not again["retrained"] and again["model"] == first["model"]
    with world.platform.uow(world.system(), readonly=True) as uow:
        row = uow.session.scalars(
            select(AnalyticsModel).where(AnalyticsModel.kind == "profile")
        ).one()
    assert row.version == first["model"] and row.training_rows == 2 * PER_UNIT
    assert json.loads(row.params)["label_period"] == "2025-09"
    assert set(json.loads(row.evaluation)["roc_auc"]) >= {"learned_weights", "equal_weights"}

    # The console: a hall agent of station A sees his account's best matches, all his own.
    with world.platform.uow(world.system(), readonly=True) as uow:
        numbers = dict(uow.session.execute(select(Account.id, Account.number)).all())
    me = min(mine)
    client = TestClient(app_for(world.platform))
    client.cookies.set(
        SESSION_COOKIE, world.token(world.staff(Post.HALL_AGENT, "stationA"), "console")
    )
    client.cookies.set(LANG_COOKIE, "en")
    page = client.get("/analytics/profiles", params={"account": numbers[me], "k": 5})
    assert page.status_code == 200 and first["model"] in page.text
    listed = re.findall(r'<tr data-account="([^"]+)">', page.text)
    assert len(listed) == 5 and numbers[me] not in listed
    assert set(listed) <= {numbers[a] for a in mine}
    other = next(a for a, u in accounts.items() if u == "stationB")
    refused = client.get("/analytics/profiles", params={"account": numbers[other]})
    assert refused.status_code == 404 and "no active account" in refused.text
    assert not re.findall(r"<tr data-account=", refused.text)
    chart = client.get("/analytics/profiles/map")
    data = re.search(r'id="profile-map-data">(.*?)</script>', chart.text, re.S)
    assert chart.status_code == 200 and data is not None
    assert len(json.loads(data.group(1))["points"]) == PER_UNIT


def test_ana_4_too_little_history_is_said_not_guessed(world: World, tmp_path: Path) -> None:
    world.platform.settings.models_dir = tmp_path
    with pytest.raises(ValueError, match="no period whose bills are past due"):
        train_profile(world.platform, world.system())
    assert "skipped" in run_profile_training(world.platform, world.system())
