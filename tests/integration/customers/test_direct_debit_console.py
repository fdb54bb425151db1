"""BILL-1 / DATA-2 / DATA-3 / AUD-3: the console form that signs a billing account up for
direct debit (代扣) — bad input names the field and writes nothing; a good account number
is stored SM4-encrypted, shown only masked, and alerts the unit's managers."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from safegrid.alerts.models import Alert
from safegrid.customers.models import Account
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.world import World

NUMBER = "6222020200112233445"


def _setup(world: World) -> tuple[TestClient, int, int]:
    """(signed-in hall agent's client, customer id, account id) in stationA."""
    customer_id = world.customer("stationA")
    world.meter(customer_id, world.reading_area("stationA"))
    with world.platform.engine.connect() as conn:
        account_id = conn.scalar(select(Account.id).where(Account.customer_id == customer_id))
    assert account_id is not None
    client = TestClient(app_for(world.platform))
    clerk = world.staff(Post.HALL_AGENT, "stationA")
    client.cookies.set(SESSION_COOKIE, world.token(clerk, "console"))
    return client, customer_id, account_id


def _raw_bank_account(world: World, account_id: int) -> str | None:
    with world.platform.engine.connect() as conn:
        value = conn.execute(
            text("SELECT bank_account FROM accounts WHERE id = :id"), {"id": account_id}
        ).scalar_one()
    return None if value is None else str(value)


def _audit_count(world: World) -> int:
    with world.platform.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one())


def _bank_alerts(world: World, account_id: int) -> list[tuple[str, str | None]]:
    """(key field, masked new value) of the alerts raised on one billing account."""
    with world.platform.engine.connect() as conn:
        rows = conn.execute(
            select(Alert.key_field, Alert.after)
            .where(Alert.object_type == "accounts", Alert.object_id == str(account_id))
            .order_by(Alert.id)
        ).all()
    return [(k, a) for k, a in rows]


def test_bill_1_direct_debit_form_bad_account_number_is_422_and_writes_nothing(
    world: World,
) -> None:
    client, _customer_id, account_id = _setup(world)
    url = f"/customers/accounts/{account_id}/direct-debit"
    form = client.get(url)
    assert form.status_code == 200 and 'name="bank_account"' in form.text
    before = _audit_count(world)

    bad = client.post(url, data={"bank_name": "中国工商银行", "bank_account": "6222-0202"})
    assert bad.status_code == 422
    assert 'id="bank_account-error"' in bad.text and 'id="bank_name-error"' not in bad.text
    missing = client.post(url, data={"bank_name": "", "bank_account": ""})
    # An empty "save" must not cancel silently: both fields are named as required.
    assert missing.status_code == 422
    assert 'id="bank_name-error"' in missing.text and 'id="bank_account-error"' in missing.text

    assert _raw_bank_account(world, account_id) is None
    assert _audit_count(world) == before
    assert _bank_alerts(world, account_id) == []


def test_data_3_aud_3_direct_debit_form_stores_encrypted_shows_masked_and_alerts(
    world: World,
) -> None:
    world.staff(Post.DEPARTMENT_HEAD, "countyA")  # a manager of the unit to alert
    client, customer_id, account_id = _setup(world)
    detail = client.get(f"/customers/{customer_id}")
    assert f'href="/customers/accounts/{account_id}/direct-debit"' in detail.text
    assert "设置代扣" in detail.text

    url = f"/customers/accounts/{account_id}/direct-debit"
    done = client.post(
        url,
        data={"bank_name": "中国工商银行", "bank_account": NUMBER},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/customers/{customer_id}"

    raw = _raw_bank_account(world, account_id)
    assert raw is not None and raw.startswith("sm4gcm$") and NUMBER not in raw  # DATA-2

    page = client.get(f"/customers/{customer_id}")  # carries the flash cookie
    masked = "*" * (len(NUMBER) - 4) + NUMBER[-4:]
    assert page.status_code == 200
    assert "代扣账户已保存" in page.text
    assert masked in page.text and NUMBER not in page.text  # DATA-3
    form = client.get(url)
    assert masked in form.text and NUMBER not in form.text

    assert _bank_alerts(world, account_id) == [("bank_account", masked)]  # AUD-3

    cancelled = client.post(url, data={"action": "cancel"}, follow_redirects=False)
    assert cancelled.status_code == 303
    assert _raw_bank_account(world, account_id) is None
    client.cookies.set(LANG_COOKIE, "en")
    assert "Direct debit has been cancelled" in client.get(f"/customers/{customer_id}").text
    # Cancelling is a bank-account change too.
    assert [k for k, _ in _bank_alerts(world, account_id)] == ["bank_account", "bank_account"]


def test_org_2_direct_debit_form_of_another_region_is_404(world: World) -> None:
    client, _customer_id, _account_id = _setup(world)
    other = world.customer("stationB")
    world.meter(other, world.reading_area("stationB"))
    with world.platform.engine.connect() as conn:
        foreign = conn.scalar(select(Account.id).where(Account.customer_id == other))
    url = f"/customers/accounts/{foreign}/direct-debit"
    assert client.get(url).status_code == 404
    posted = client.post(url, data={"bank_name": "中国工商银行", "bank_account": NUMBER})
    assert posted.status_code == 404
    assert _raw_bank_account(world, int(foreign or 0)) is None
