"""HALL-6 / HALL-10 through the portal's pages: sign in with the SMS code, bind, see bills
(open and paid) and pay through the online channel (the same order service, risk engine
and sandbox gateway as the public pay page); file a complaint, staff answer it from their
to-do, the customer rates it; take a hall ticket from the phone; read an account's
tariff advice (ANA-4)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.analytics.models import TariffAdvice
from safegrid.analytics.tariff_push import run_tariff_advice
from safegrid.customers.models import Account, Customer
from safegrid.hall.models import Ticket
from safegrid.payments.online.models import PaymentOrder
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.portal.models import FeedbackStatus, PortalFeedback
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.advice import a_year_of_readings
from tests.fixtures.apps import app_for
from tests.fixtures.billing import new_account, seed_tariffs
from tests.fixtures.bills import Bills
from tests.fixtures.hall import Halls
from tests.fixtures.online import Online
from tests.fixtures.portal import last_code, new_mobile
from tests.fixtures.world import World

EN = {"Accept-Language": "en"}


def _signed_in(client: TestClient, world: World) -> None:
    mobile = new_mobile()
    page = client.post("/portal/login/code", data={"mobile": mobile})
    assert page.status_code == 200 and "portal-code-sent" in page.text
    done = client.post(
        "/portal/login",
        data={"mobile": mobile, "code": last_code(world)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/portal"


def test_hall_10_sign_in_bind_see_bills_and_pay(online: Online, bills: Bills) -> None:
    world = online.world
    account_id = bills.account("stationA")
    bills.bill(account_id, "120.50", period="2026-10")
    paid = bills.bill(account_id, "80.00", period="2026-09")
    number, name = _number_and_name(world, account_id)
    # The September bill is paid through the channel (its signed callback applied).
    online.gateway.pay(online.order(number, "80.00").order_no)
    assert online.deliver() == 1
    client = TestClient(app_for(world.platform), client=("10.8.0.1", 50000))
    _signed_in(client, world)
    assert client.get("/portal").status_code == 200
    # Someone else's account: a clear error, nothing bound.
    refused = client.post("/portal/accounts", data={"account_no": number, "proof": "冒名者"})
    assert refused.status_code == 422 and "portal-bound" in refused.text
    assert number not in refused.text.split('data-testid="portal-bound"')[1].split("</ul>")[0]
    bound = client.post(
        "/portal/accounts", data={"account_no": number, "proof": name}, follow_redirects=False
    )
    assert bound.status_code == 303 and bound.headers["location"] == f"/portal/accounts/{number}"
    page = client.get(f"/portal/accounts/{number}", headers=EN)
    assert page.status_code == 200
    assert 'data-status="open"><td>2026-10' in page.text
    assert 'data-status="paid"><td>2026-09' in page.text
    assert paid
    pay = client.post(
        f"/portal/accounts/{number}/pay", data={"amount": "120.50"}, follow_redirects=False
    )
    assert pay.status_code == 303
    assert re.match(r"http://gateway/pay/OL\d{8}", pay.headers["location"])
    with world.platform.engine.connect() as conn:
        order = conn.execute(
            select(PaymentOrder.amount, PaymentOrder.status).order_by(PaymentOrder.id.desc())
        ).first()
    assert order is not None and str(order[0]) == "120.50"


def test_hall_10_complaint_answered_by_staff_then_rated(world: World, bills: Bills) -> None:
    account_id = bills.account("stationA")
    with world.platform.engine.connect() as conn:
        number, name = conn.execute(
            select(Account.number, Customer.name)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id == account_id)
        ).one()
    client = TestClient(app_for(world.platform), client=("10.8.0.2", 50000))
    _signed_in(client, world)
    client.post("/portal/accounts", data={"account_no": number, "proof": name})
    filed = client.post(
        "/portal/feedback",
        data={"account_no": number, "kind": "complaint", "subject": "停电未通知", "body": "昨晚"},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    with world.platform.engine.connect() as conn:
        fid = conn.scalar(select(PortalFeedback.id))
    # Not answered yet: a rating is refused.
    early = client.post(f"/portal/feedback/{fid}/rating", data={"rating": "5"})
    assert early.status_code == 409
    agent = world.staff(Post.HALL_AGENT, "hallA")  # the hall handling stationA
    staff = TestClient(app_for(world.platform))
    staff.cookies.set(SESSION_COOKIE, world.token(agent, "console"))
    assert "待答复的客户投诉与建议" in staff.get("/").text  # the hall's to-do
    assert "停电未通知" in staff.get("/hall/feedback").text
    answered = staff.post(
        f"/hall/feedback/{fid}/answer",
        data={"answer": "已核实，系计划检修"},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    rated = client.post(
        f"/portal/feedback/{fid}/rating",
        data={"rating": "4", "comment": "及时"},
        follow_redirects=False,
    )
    assert rated.status_code == 303
    with world.platform.engine.connect() as conn:
        row = conn.execute(select(PortalFeedback.status, PortalFeedback.rating)).one()
    assert row == (FeedbackStatus.RATED, 4)
    # Another customer cannot see or rate it.
    other = TestClient(app_for(world.platform), client=("10.8.0.3", 50000))
    _signed_in(other, world)
    assert "停电未通知" not in other.get("/portal/feedback").text
    assert other.post(f"/portal/feedback/{fid}/rating", data={"rating": "1"}).status_code == 404


def test_hall_2_ticket_from_the_portal(world: World) -> None:
    halls = Halls(world)
    hall_id = halls.open("hallA")
    client = TestClient(app_for(world.platform), client=("10.8.0.4", 50000))
    _signed_in(client, world)
    page = client.post("/portal/queue", data={"hall_id": str(hall_id), "business_type": "payment"})
    assert page.status_code == 200 and "portal-ticket" in page.text
    with world.platform.engine.connect() as conn:
        channel = conn.scalar(select(Ticket.channel))
    assert channel is not None and channel.value == "portal"


def _number_and_name(world: World, account_id: int) -> tuple[str, str]:
    with world.platform.engine.connect() as conn:
        number, name = conn.execute(
            select(Account.number, Customer.name)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id == account_id)
        ).one()
    return str(number), str(name)


def test_ana_4_the_account_page_shows_its_own_tariff_advice(world: World) -> None:
    seed_tariffs(world)
    shop, meter = new_account(world, "stationA", category="commercial", tou=True)
    home, _ = new_account(world, "stationA")
    # A peak-heavy shop (75 % of 30 kWh a day in the peak) pays less on the flat tariff.
    a_year_of_readings(world, meter, "stationA", "30.00", "22.50")
    clock.set_clock(
        clock.FixedClock(datetime.combine(date(2026, 11, 10), time(9), tzinfo=BUSINESS_TZ))
    )
    assert run_tariff_advice(world.platform, world.system())["pushed"] == 1
    with world.platform.engine.connect() as conn:
        stored = conn.execute(
            select(TariffAdvice.current_cost, TariffAdvice.advised_cost, TariffAdvice.saving)
        ).one()
    shop_no, shop_name = _number_and_name(world, shop)
    home_no, home_name = _number_and_name(world, home)
    client = TestClient(app_for(world.platform), client=("10.8.0.5", 50000))
    _signed_in(client, world)
    for number, name in ((shop_no, shop_name), (home_no, home_name)):
        client.post("/portal/accounts", data={"account_no": number, "proof": name})

    zh = client.get(f"/portal/accounts/{shop_no}")
    assert "一般工商业（商业）单一制（不分峰谷）" in zh.text and "每年约可节省" in zh.text
    client.cookies.set(LANG_COOKIE, "en")
    page = client.get(f"/portal/accounts/{shop_no}")
    assert page.status_code == 200
    advice = page.text.split('data-testid="portal-advice"')[1].split("</section>")[0]
    assert "2026-10" in advice and "You would save about" in advice
    now = "<td>Now: Commercial, time-of-use</td>"
    advised = "<td>Advised: <strong>Commercial, flat (one price all day)</strong></td>"
    assert f'"current">{now}<td class="num">{stored[0]}</td>' in advice
    assert f'"advised">{advised}<td class="num">{stored[1]}</td>' in advice
    assert f"{stored[2]} yuan a year" in advice and stored[2] >= Decimal("20.00")
    assert 'href="/portal/queue"' in advice
    # His other account has no advice: no block at all.
    assert 'data-testid="portal-advice"' not in client.get(f"/portal/accounts/{home_no}").text
    # Another customer asking for the shop's page: not bound, nothing of the advice.
    other = TestClient(app_for(world.platform), client=("10.8.0.6", 50000))
    _signed_in(other, world)
    refused = other.get(f"/portal/accounts/{shop_no}")
    assert refused.status_code == 404 and str(stored[2]) not in refused.text
