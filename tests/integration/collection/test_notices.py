"""BILL-6: the disconnection-notice workflow — separation of duties, the statutory notice
period, executable only while in arrears — and payment in full restoring supply with a
``SupplyRestored`` event in the outbox."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.billing.models import Bill
from safegrid.collection.late_fees import do_accrue_late_fees
from safegrid.collection.models import NoticeStatus, SupplyState, SupplyStatus
from safegrid.collection.notices import do_create_notice, do_decide_notice, do_execute_notice
from safegrid.collection.schemas import NoticeCreate, NoticeDecision
from safegrid.collection.writeoffs import do_write_off_oldest_first
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, PermissionDeniedError, ValidationProblem
from safegrid.platform.outbox import OutboxMessage
from safegrid.security.actor import Actor
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

D = Decimal
pytestmark = pytest.mark.usefixtures("fixed_clock")


def in_arrears(bills: Bills, unit: str = "stationA") -> tuple[int, int]:
    account = bills.account(unit)
    return account, bills.bill(account, "300.00", due=date(2026, 10, 20))


def outbox(world: World, topic: str) -> list[dict]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.topic == topic)
            ).all()
        )


def supply(world: World, account: int) -> SupplyStatus | None:
    with world.platform.uow(world.system(), readonly=True) as uow:
        state = uow.session.get(SupplyState, account)
        return state.status if state else None


@pytest.fixture
def people(world: World) -> dict[str, Actor]:
    return {
        "finance": world.actor(world.staff(Post.FINANCE, "countyA")),
        "head": world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA")),
    }


def test_bill_6_notice_period_then_disconnect_then_payment_restores_supply(
    world: World, bills: Bills, people: dict[str, Actor], fixed_clock: clock.FixedClock
) -> None:
    account, _bill = in_arrears(bills)
    notice = do_create_notice(
        world.platform.uow(people["finance"]), NoticeCreate(account_id=account, reason="逾期未缴")
    )
    with pytest.raises(ConflictError):  # not approved yet
        do_execute_notice(world.platform.uow(people["finance"]), notice.id)
    approved = do_decide_notice(
        world.platform.uow(people["head"]), notice.id, NoticeDecision(approve=True)
    )
    assert approved.status == NoticeStatus.APPROVED
    assert approved.earliest_disconnect_on == date(2026, 11, 9)  # 7 days' notice
    fixed_clock.advance(timedelta(days=6))
    with pytest.raises(ConflictError) as early:
        do_execute_notice(world.platform.uow(people["finance"]), notice.id)
    assert "2026-11-09" in early.value.message
    fixed_clock.advance(timedelta(days=1))
    executed = do_execute_notice(world.platform.uow(people["finance"]), notice.id)
    assert executed.status == NoticeStatus.EXECUTED
    assert supply(world, account) == SupplyStatus.DISCONNECTED
    assert outbox(world, "SupplyDisconnected")[0]["account_id"] == account
    # Late fees accrued meanwhile: 300.00 × 0.1 % × 20 days (10-21 … 11-09) = 6.00.
    day = date(2026, 10, 21)
    while day <= clock.business_day():
        do_accrue_late_fees(world.platform.uow(world.system()), day)
        day += timedelta(days=1)
    part = do_write_off_oldest_first(world.platform.uow(world.system()), account, D("300.00"), "P1")
    assert part.applied == D("300.00")
    assert supply(world, account) == SupplyStatus.DISCONNECTED  # the late fee is still owed
    assert outbox(world, "SupplyRestored") == []
    rest = do_write_off_oldest_first(world.platform.uow(world.system()), account, D("10.00"), "P2")
    assert (rest.applied, rest.remainder) == (D("6.00"), D("4.00"))
    assert supply(world, account) == SupplyStatus.CONNECTED
    [restored] = outbox(world, "SupplyRestored")
    assert restored == {
        "account_id": account,
        "notice_id": notice.id,
        "reference": "P2",
        "org_unit_id": world.units["stationA"],
    }


def test_bill_6_the_creator_cannot_approve_his_own_notice(
    world: World, bills: Bills, people: dict[str, Actor]
) -> None:
    account, _bill = in_arrears(bills)
    notice = do_create_notice(
        world.platform.uow(people["head"]), NoticeCreate(account_id=account, reason="逾期未缴")
    )
    with pytest.raises(PermissionDeniedError) as err:
        do_decide_notice(
            world.platform.uow(people["head"]), notice.id, NoticeDecision(approve=True)
        )
    assert "you cannot approve a notice you created yourself" in err.value.message
    with pytest.raises(PermissionDeniedError):  # finance may not approve at all
        do_decide_notice(
            world.platform.uow(people["finance"]), notice.id, NoticeDecision(approve=True)
        )
    other_head = world.actor(world.staff(Post.DEPARTMENT_HEAD, "cityA"))
    rejected = do_decide_notice(
        world.platform.uow(other_head), notice.id, NoticeDecision(approve=False, note="再等等")
    )
    assert rejected.status == NoticeStatus.REJECTED


def test_bill_6_paying_before_execution_cancels_the_notice(
    world: World, bills: Bills, people: dict[str, Actor], fixed_clock: clock.FixedClock
) -> None:
    account, _bill = in_arrears(bills)
    notice = do_create_notice(
        world.platform.uow(people["finance"]), NoticeCreate(account_id=account, reason="逾期未缴")
    )
    do_decide_notice(world.platform.uow(people["head"]), notice.id, NoticeDecision(approve=True))
    with pytest.raises(ConflictError):  # one open notice per account
        do_create_notice(
            world.platform.uow(people["finance"]), NoticeCreate(account_id=account, reason="再次")
        )
    do_write_off_oldest_first(world.platform.uow(world.system()), account, D("300.00"), "P-ALL")
    assert outbox(world, "DisconnectionNoticeCancelled")[0]["notice_id"] == notice.id
    assert supply(world, account) is None  # never cut, nothing to restore
    assert outbox(world, "SupplyRestored") == []
    fixed_clock.advance(timedelta(days=8))
    with pytest.raises(ConflictError):
        do_execute_notice(world.platform.uow(people["finance"]), notice.id)
    with pytest.raises(ValidationProblem) as err:  # nothing owed any more
        do_create_notice(
            world.platform.uow(people["finance"]), NoticeCreate(account_id=account, reason="逾期")
        )
    assert err.value.field == "account_id"


def test_bill_6_api_errors_are_clear(world: World, bills: Bills, people: dict[str, Actor]) -> None:
    account, bill = in_arrears(bills)
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    auth = {"Authorization": f"Bearer {world.token(head)}"}
    client = TestClient(app_for(world.platform))
    assert client.get("/api/collection/bills/999999", headers=auth).status_code == 404
    negative = client.post(
        f"/api/collection/bills/{bill}/write-offs",
        json={"amount": "-5.00", "reference": "X-1"},
        headers=auth,
    )
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["loc"] == ["body", "amount"]
    created = client.post(
        "/api/collection/notices", json={"account_id": account, "reason": "逾期"}, headers=auth
    )
    assert created.status_code == 201
    own = client.post(
        f"/api/collection/notices/{created.json()['id']}/decision",
        json={"approve": True},
        headers={**auth, "Accept-Language": "en"},
    )
    assert own.status_code == 403
    assert "created yourself" in own.json()["detail"]
    panel = client.get(f"/api/collection/bills/{bill}", headers=auth).json()
    assert (panel["outstanding"], panel["days_overdue"]) == ("300.00", 13)
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.get(Bill, bill) is not None
