"""Risk cases and rule configuration over the API (PAY-4, PAY-5): reviewers lift, confirm or
extend a case; whoever caused a case may not decide it; rules change as audited versions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.payments.risk import engine, paid_batch, rules
from safegrid.payments.risk.engine import RiskRequest
from safegrid.platform import clock
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
PORTAL = Actor.system("portal", "api")


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    clock.set_clock(clock.FixedClock(T0))
    with TestClient(app_for(platform)) as c:
        yield c


def _h(world: World, post: Post, unit: str = "countyA") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(world.staff(post, unit))}"}


def open_case(platform: Platform, account_id: int) -> int:
    """Three 0.01-yuan captures: the third opens a case (PAY-5)."""
    decision = None
    for pid in range(1, 4):
        with platform.uow(PORTAL) as uow:
            decision = paid_batch.note_paid(
                uow, account_id, Decimal("0.01"), clock.now(), account_id * 10 + pid
            )
            uow.audit("test.paid", object_type="payment", object_id=pid)
            uow.commit()
    assert decision is not None and decision.case_id is not None
    return decision.case_id


def _suspended(platform: Platform, account_id: int) -> datetime | None:
    with platform.uow(PORTAL, readonly=True) as uow:
        return engine.suspended_until(uow, account_id)


def test_pay_5_reviewer_sees_fired_rules_and_lifts_the_suspension(
    world: World, bills: Bills, client: TestClient
) -> None:
    acc = bills.account("stationA")
    case_id = open_case(world.platform, acc)
    assert _suspended(world.platform, acc) == T0 + timedelta(hours=48)
    dso = _h(world, Post.DATA_SECURITY_OFFICER)
    listed = client.get("/api/payments/risk/cases?status=open", headers=dso).json()
    assert [c["id"] for c in listed["items"]] == [case_id]
    fired = listed["items"][0]["decision"]["fired"]
    assert fired[0]["rule_id"] == "PAY5-TEST" and fired[0]["inputs"]["count"] == 3
    resp = client.post(f"/api/payments/risk/cases/{case_id}/lift", json={"note": "客户本人测试"},
                       headers=dso)  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "lifted"
    assert _suspended(world.platform, acc) is None
    # Decided once: a second decision is a conflict.
    again = client.post(f"/api/payments/risk/cases/{case_id}/confirm", json={"note": "x"},
                        headers=dso)  # fmt: skip
    assert again.status_code == 409
    # Lifted patterns start afresh: the next ordinary payment is allowed.
    with world.platform.uow(PORTAL) as uow:
        d = engine.evaluate(uow, RiskRequest("payment", acc, Decimal(80), "d", "1.1.1.1", T0))
        uow.audit("test.order", object_type="account", object_id=acc)
        uow.commit()
    assert d.action == "allow"


def test_pay_5_extend_and_confirm_keep_the_suspension(
    world: World, bills: Bills, client: TestClient
) -> None:
    acc = bills.account("stationA")
    case_id = open_case(world.platform, acc)
    fin = _h(world, Post.FINANCE)
    resp = client.post(f"/api/payments/risk/cases/{case_id}/extend",
                       json={"hours": 24, "note": "待核实"}, headers=fin)  # fmt: skip
    assert resp.status_code == 200 and resp.json()["status"] == "extended"
    assert _suspended(world.platform, acc) == T0 + timedelta(hours=72)
    bad = client.post(f"/api/payments/risk/cases/{case_id}/extend",
                      json={"hours": 0, "note": "x"}, headers=fin)  # fmt: skip
    assert bad.status_code == 422
    resp = client.post(f"/api/payments/risk/cases/{case_id}/confirm", json={"note": "确认欺诈"},
                       headers=fin)  # fmt: skip
    assert resp.json()["status"] == "confirmed"
    assert _suspended(world.platform, acc) == T0 + timedelta(hours=72)


def test_pay_5_case_outside_the_region_is_not_found_and_cashier_cannot_review(
    world: World, bills: Bills, client: TestClient
) -> None:
    case_id = open_case(world.platform, bills.account("stationB"))
    dso_a = _h(world, Post.DATA_SECURITY_OFFICER, "countyA")
    assert client.get(f"/api/payments/risk/cases/{case_id}", headers=dso_a).status_code == 404
    lift = client.post(f"/api/payments/risk/cases/{case_id}/lift", json={"note": "x"},
                       headers=dso_a)  # fmt: skip
    assert lift.status_code == 404
    cashier = _h(world, Post.CASHIER, "countyB")
    assert client.get("/api/payments/risk/cases", headers=cashier).status_code == 403


def test_pay_5_whoever_caused_a_case_may_not_review_it(world: World, bills: Bills) -> None:
    clock.set_clock(clock.FixedClock(T0))
    acc = bills.account("stationA")
    fin = world.staff(Post.FINANCE, "countyA")
    with world.platform.uow(PORTAL) as uow:
        paid_batch.note_paid(uow, acc, Decimal("120.00"), clock.now(), 501)
        uow.audit("test.paid", object_type="payment", object_id=501)
        uow.commit()
    with world.platform.uow(world.actor(fin)) as uow:  # finance asks for a refund at once
        d = engine.evaluate(uow, RiskRequest("refund", acc, Decimal("120.00"), None, None, T0))
        uow.commit()
    assert d.action == "review" and d.case_id is not None
    from safegrid.payments.risk import cases
    from safegrid.platform.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        cases.do_lift(world.platform.uow(world.actor(fin)), d.case_id, "ok")


def test_pay_4_admin_saves_a_rule_version_audited_and_in_force(
    world: World, bills: Bills, client: TestClient
) -> None:
    admin = _h(world, Post.SYSTEM_ADMIN, "prov")
    versions = client.get("/api/payments/risk/rules", headers=admin).json()
    assert [v["version"] for v in versions] == [0]
    body = {"note": "收紧设备频次", "rules": [
        {**r.as_dict(), "threshold": 2} if r.code == "PAY4-DEVICE" else r.as_dict()
        for r in rules.DEFAULT_RULES.rules
    ]}  # fmt: skip
    resp = client.put("/api/payments/risk/rules", json=body, headers=admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 1
    bad = {**body, "rules": [{**body["rules"][0], "window_minutes": 0}]}
    resp = client.put("/api/payments/risk/rules", json=bad, headers=admin)
    assert resp.status_code == 422
    dso = _h(world, Post.DATA_SECURITY_OFFICER)
    assert client.put("/api/payments/risk/rules", json=body, headers=dso).status_code == 403
    versions = client.get("/api/payments/risk/rules", headers=dso).json()
    assert [v["version"] for v in versions] == [1, 0]
    with world.platform.uow(PORTAL, readonly=True) as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "risk.rules_saved")
        ).one()
        assert entry.after is not None and "收紧设备频次" in str(entry.after)
    # The third request from one device now steps up (more than 2).
    acc = bills.account()
    actions = []
    for _ in range(3):
        with world.platform.uow(PORTAL) as uow:
            d = engine.evaluate(uow, RiskRequest("payment", acc, Decimal(5), "dv", None, T0))
            uow.audit("test.order", object_type="account", object_id=acc)
            uow.commit()
        actions.append(d.action)
    assert actions == ["allow", "allow", "step_up"]
