"""DATA-4, issue 13 item 7: a data-use request collects the minimum. The form ticks no field
and chooses no unit; customers are picked by 户号, customer number or name (never by an
internal id); the approver reads who asks for what in words."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.app import create_app
from safegrid.customers.models import Account, Customer
from safegrid.datause.models import DataUseRequest
from safegrid.platform import clock
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.bills import Bills
from tests.fixtures.world import World


def test_data_4_request_picks_customers_by_number_and_the_head_reads_it_in_words(
    world: World, bills: Bills
) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    account_id = bills.account("hallA")
    with world.platform.uow(world.system(), readonly=True) as uow:
        account_no, customer_id, customer_no, name = uow.session.execute(
            select(Account.number, Customer.id, Customer.number, Customer.name)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id == account_id)
        ).one()
    app = create_app(world.platform)
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, world.token(agent, "console"))
    client.cookies.set(LANG_COOKIE, "zh")

    blank = client.get("/datause/requests/new").text
    assert not re.search(r'name="fields"[^>]*checked', blank)  # no field pre-ticked
    assert not re.search(r'<option value="\d+"[^>]* selected', blank)  # no unit chosen
    from_customer = client.get(f"/datause/requests/new?customer_id={customer_id}").text
    assert f'name="customers" value="{customer_no}" checked' in from_customer
    assert f'value="{customer_id}"' not in from_customer  # never an internal id in the form

    found = client.get("/datause/requests/customer-search", params={"q": account_no}).text
    assert f'name="customers" value="{customer_no}">' in found  # a match, not ticked
    kept = client.get(
        "/datause/requests/customer-search", params={"q": "无此人", "customers": customer_no}
    ).text
    assert f'value="{customer_no}" checked' in kept  # the ticked one survives a new search

    today = clock.business_day().isoformat()
    form = {
        "kind": "view",
        "purpose": "办理过户核实身份",
        "fields": ["phone"],
        "customers": ["9999999999"],
        "period_from": today,
        "period_to": today,
    }
    unknown = client.post("/datause/requests/new", data=form)
    assert unknown.status_code == 422 and "9999999999" in unknown.text
    form["customers"] = [account_no]  # the 户号 the customer brought
    filed = client.post("/datause/requests/new", data=form, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    with world.platform.uow(world.system(), readonly=True) as uow:
        req = uow.session.scalars(select(DataUseRequest)).one()
    assert req.customer_ids == [customer_id] and req.fields == ["phone"]

    head = TestClient(app)
    head.cookies.set(
        SESSION_COOKIE, world.token(world.staff(Post.DEPARTMENT_HEAD, "countyA"), "console")
    )
    head.cookies.set(LANG_COOKIE, "zh")
    inbox = head.get("/datause").text
    row = inbox[inbox.index(f'data-testid="request-{req.id}"') :]
    row = row[: row.index("</tr>")]
    who = row[row.index('data-testid="requester"') : row.index('data-testid="customers"')]
    assert world_staff_name(world, agent.id) in who and "营业厅柜员" in who  # name and post
    customers = row[row.index('data-testid="customers"') :]
    customers = customers[: customers.index("</td>")]
    assert f'<span class="mono">{customer_no}</span> {name}' in customers and "手机号" in row
    assert f">{customer_id}<" not in customers.replace(f">{customer_no}<", "")  # no inner id


def world_staff_name(world: World, staff_id: int) -> str:
    from safegrid.security.models import StaffAccount

    with world.platform.uow(world.system(), readonly=True) as uow:
        return uow.session.get_one(StaffAccount, staff_id).real_name
