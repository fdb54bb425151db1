"""DATA-4: an unmasked value only under an active grant of the caller covering that customer
and field; every unmasked view is an access-log row; every refusal is audited and carries
no plaintext."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.customers.models import Customer
from safegrid.datause import reveal
from safegrid.datause.models import AccessLog
from safegrid.datause.schemas import RevealIn
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, PermissionDeniedError
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.datause import granted
from tests.fixtures.world import World

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _id_number(world: World, customer_id: int) -> str:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return str(uow.session.get_one(Customer, customer_id).id_number)


def _logs(world: World) -> list[AccessLog]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return list(uow.session.scalars(select(AccessLog).order_by(AccessLog.id)))


def _last_audit(world: World) -> AuditEntry:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return uow.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()  # type: ignore[return-value]


def _refused(
    world: World, actor_staff, customer_id: int, field: str, reason: str, grant_id=None
) -> None:  # type: ignore[no-untyped-def]
    secret = _id_number(world, customer_id)
    with pytest.raises(PermissionDeniedError) as err:
        reveal.do_reveal(
            world.platform.uow(world.actor(actor_staff)),
            customer_id,
            RevealIn(field=field, grant_id=grant_id),
        )
    assert getattr(err.value, "reason", None) == reason
    assert secret not in err.value.message
    entry = _last_audit(world)
    assert entry.action == "datause.reveal_refused" and reason in entry.body
    assert secret not in entry.body


def test_data_4_reveal_under_grant_writes_access_log(world: World) -> None:
    clock.set_clock(clock.FixedClock(T0))
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    grant_id = granted(world, agent, scope_unit="hallA", fields=["id_number", "phone"])
    actor = world.actor(agent)
    out = reveal.do_reveal(world.platform.uow(actor), customer, RevealIn(field="id_number"))
    assert out.value == _id_number(world, customer) and out.grant_id == grant_id
    [log] = _logs(world)
    assert (log.staff_id, log.customer_id, log.field, log.grant_id) == (
        agent.id,
        customer,
        "id_number",
        grant_id,
    )
    assert log.at == T0 and log.channel == actor.channel
    entry = _last_audit(world)
    assert entry.action == "datause.reveal"
    assert out.value not in entry.body  # the audit names the view, never the value


def test_data_4_no_grant_refused_and_logged(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    _refused(world, agent, customer, "id_number", "no_grant")
    assert _logs(world) == []


def test_data_4_expired_grant_refused(world: World) -> None:
    fixed = clock.FixedClock(T0)
    clock.set_clock(fixed)
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    granted(world, agent, customer_ids=[customer], days=2)
    fixed.advance(timedelta(days=2))  # valid_to is exclusive
    _refused(world, agent, customer, "id_number", "expired")
    assert _logs(world) == []


def test_data_4_foreign_grant_refused(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    other = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    grant_id = granted(world, other, customer_ids=[customer])
    _refused(world, agent, customer, "id_number", "foreign", grant_id=grant_id)
    # Without naming it: the colleague's grant does not count for the caller either.
    _refused(world, agent, customer, "id_number", "no_grant")


def test_data_4_field_not_covered_refused(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    granted(world, agent, customer_ids=[customer], fields=["phone"])
    _refused(world, agent, customer, "id_number", "field_not_covered")


def test_data_4_customer_not_in_grant_refused(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    covered, other = world.customer("hallA"), world.customer("hallA")
    granted(world, agent, customer_ids=[covered])
    _refused(world, agent, other, "id_number", "no_grant")


def test_data_4_out_of_area_customer_is_not_found_and_writes_nothing(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    outside = world.customer("stationB")
    before = _last_audit(world).seq
    with pytest.raises(NotFoundError):
        reveal.do_reveal(
            world.platform.uow(world.actor(agent)), outside, RevealIn(field="id_number")
        )
    assert _last_audit(world).seq == before


def test_data_4_reveal_api_gives_value_or_clear_403(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    client = TestClient(app_for(world.platform))
    headers = {"Authorization": f"Bearer {world.token(agent)}"}
    url = f"/api/customers/{customer}/reveal"
    english = {**headers, "Accept-Language": "en"}
    refused = client.post(url, json={"field": "id_number"}, headers=english)
    assert refused.status_code == 403 and "no data-use grant" in refused.json()["detail"]
    assert _id_number(world, customer) not in refused.text
    bad = client.post(url, json={"field": "salary"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "field"
    granted(world, agent, customer_ids=[customer], fields=["id_number"])
    ok = client.post(url, json={"field": "id_number"}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["value"] == _id_number(world, customer)
    [log] = _logs(world)
    assert log.ip == "testclient" and log.channel == "api"
    # The customer read itself stays masked with a grant: only reveal unmasks.
    detail = client.get(f"/api/customers/{customer}", headers=headers).json()
    assert detail["id_number"] != ok.json()["value"]
    assert json.dumps(detail).count(ok.json()["value"]) == 0


def test_data_4_bank_account_revealed_from_the_customers_accounts(world: World) -> None:
    from safegrid.customers.models import Account
    from safegrid.customers.schemas import DirectDebitUpdate
    from safegrid.customers.services import do_set_direct_debit

    clock.set_clock(clock.FixedClock(T0))
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    world.meter(customer, world.reading_area("hallA"))  # opens the customer's account
    with world.platform.uow(world.system(), readonly=True) as uow:
        account_id = uow.session.scalars(
            select(Account.id).where(Account.customer_id == customer)
        ).one()
    do_set_direct_debit(
        world.platform.uow(world.system()),
        account_id,
        DirectDebitUpdate(bank_name="中国工商银行", bank_account="6222021234567890123"),
    )
    granted(world, agent, customer_ids=[customer], fields=["bank_account"])
    out = reveal.do_reveal(
        world.platform.uow(world.actor(agent)), customer, RevealIn(field="bank_account")
    )
    assert out.value == "6222021234567890123"
    [log] = _logs(world)
    assert (log.customer_id, log.field) == (customer, "bank_account")
    # Not covered by that grant: the ID number stays masked.
    _refused(world, agent, customer, "id_number", "field_not_covered")


def test_data_4_revoked_grant_reveals_nothing_and_says_so(world: World) -> None:
    from safegrid.datause import workflow
    from safegrid.datause.schemas import GrantRevoke
    from safegrid.platform.errors import ConflictError

    fixed = clock.FixedClock(T0)
    clock.set_clock(fixed)
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    grant_id = granted(world, agent, customer_ids=[customer], days=7)
    reveal.do_reveal(world.platform.uow(world.actor(agent)), customer, RevealIn(field="id_number"))
    dso = world.staff(Post.DATA_SECURITY_OFFICER, "prov")
    fixed.advance(timedelta(hours=1))
    out = workflow.do_revoke_grant(
        world.platform.uow(world.actor(dso)), grant_id, GrantRevoke(reason="用途已完成")
    )
    assert out.revoked_by == dso.username and out.valid_to == T0 + timedelta(hours=1)
    entry = _last_audit(world)
    assert entry.action == "datause.grant_revoked" and "用途已完成" in entry.body
    fixed.advance(timedelta(seconds=1))
    _refused(world, agent, customer, "id_number", "revoked")
    assert len(_logs(world)) == 1  # only the view made before the revocation
    with pytest.raises(ConflictError):
        workflow.do_revoke_grant(
            world.platform.uow(world.actor(dso)), grant_id, GrantRevoke(reason="再次撤销")
        )
