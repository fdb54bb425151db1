"""Objects inside and outside the caller's region for each path parameter, and a valid
body for each writing route. A route whose parameter or body is unknown here fails the
matrix with a message saying what to add — new routes cannot slip through untested."""

from __future__ import annotations

import dataclasses
import itertools
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from safegrid.billing.models import Bill as BillModel
from safegrid.collection import services as collection_services
from safegrid.collection.schemas import NoticeCreate, PlanCreate
from safegrid.customers.validation import id_check_char
from safegrid.platform import clock
from safegrid.security import authn
from safegrid.security.models import AuthSession, SessionStage
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.world import Staff, World
from tests.permissions.analytics_inputs import (
    ANALYTICS_ALLOWED_BUSINESS,
    ANALYTICS_BODIES,
    ANALYTICS_PARAMS,
)
from tests.permissions.applications_inputs import (
    APPLICATIONS_ALLOWED_BUSINESS,
    APPLICATIONS_BODIES,
    APPLICATIONS_PARAMS,
)
from tests.permissions.billing_inputs import (
    BILLING_ALLOWED_BUSINESS,
    BILLING_BODIES,
    BILLING_PARAMS,
)
from tests.permissions.datause_inputs import (
    DATAUSE_ALLOWED_BUSINESS,
    DATAUSE_BODIES,
    DATAUSE_PARAMS,
)
from tests.permissions.fieldwork_inputs import (
    FIELDWORK_ALLOWED_BUSINESS,
    FIELDWORK_BODIES,
    FIELDWORK_PARAMS,
)
from tests.permissions.governance_inputs import (
    GOVERNANCE_ALLOWED_BUSINESS,
    GOVERNANCE_BODIES,
    GOVERNANCE_PARAMS,
)
from tests.permissions.hall_inputs import HALL_ALLOWED_BUSINESS, HALL_BODIES, HALL_PARAMS
from tests.permissions.ops_inputs import OPS_BODIES, OPS_PARAMS
from tests.permissions.payments_counter_inputs import (
    COUNTER_ALLOWED_BUSINESS,
    COUNTER_BODIES,
    COUNTER_PARAMS,
)
from tests.permissions.payments_ledger_inputs import LEDGER_BODIES, LEDGER_PARAMS
from tests.permissions.payments_risk_inputs import (
    RISK_ALLOWED_BUSINESS,
    RISK_BODIES,
    RISK_PARAMS,
)
from tests.permissions.portal_inputs import PORTAL_BODIES, PORTAL_PARAMS
from tests.permissions.readings_inputs import (
    READINGS_ALLOWED_BUSINESS,
    READINGS_BODIES,
    READINGS_PARAMS,
)
from tests.permissions.reconciliation_inputs import RECON_ALLOWED_BUSINESS, RECON_BODIES
from tests.permissions.secops_inputs import (
    SECOPS_ALLOWED_BUSINESS,
    SECOPS_BODIES,
    SECOPS_PARAMS,
)
from tests.permissions.terminals_inputs import TERMINALS_BODIES, TERMINALS_PARAMS

INSIDE_COUNTY, OUTSIDE_COUNTY = "countyA", "countyB"


_counter = itertools.count(1)


@dataclasses.dataclass
class Ctx:
    world: World
    staff: Staff
    n: int = 0

    def unique(self) -> int:
        # Unique across the whole run: several posts post the same example in one test.
        self.n = next(_counter)
        return self.n


def _customer(w: World, s: Staff) -> tuple[int, int]:
    return w.customer("stationA"), w.customer("stationB")


def _meter(w: World, s: Staff) -> tuple[int, int]:
    reader = s if s.post == Post.METER_READER else None
    inside = w.meter(w.customer("stationA"), w.reading_area("stationA", reader))
    outside = w.meter(w.customer("stationB"), w.reading_area("stationB"))
    if s.post == Post.CONTRACTOR:
        _assign_work_order(w, s, inside)
    return inside, outside


def _assign_work_order(w: World, contractor: Staff, meter_id: int) -> None:
    """IAM-7: a contractor sees a meter only through a live work order assigned to him."""
    from safegrid.fieldwork import services as fieldwork
    from safegrid.fieldwork.models import WorkOrderKind

    ends = clock.business_day(clock.now()) + timedelta(days=365)
    admin = w.staff(Post.SYSTEM_ADMIN, "countyA")
    fieldwork.do_set_service_end(w.platform.uow(w.actor(admin)), contractor.id, ends)
    leader = w.staff(Post.TEAM_LEADER, "countyA")
    fieldwork.do_open_work_order(
        w.platform.uow(w.actor(leader)),
        fieldwork.NewWorkOrder(WorkOrderKind.REPLACE, meter_id, ends, contractor.id),
    )


def _unit(w: World, s: Staff) -> tuple[int, int]:
    return w.units[INSIDE_COUNTY], w.units[OUTSIDE_COUNTY]


def _account(w: World, s: Staff) -> tuple[int, int]:
    return w.staff(Post.CASHIER, "stationA").id, w.staff(Post.CASHIER, "stationB").id


def _power_account(w: World, s: Staff) -> tuple[int, int]:
    """Billing accounts (户号), opened with a meter inside and outside the region."""
    from safegrid.customers.models import Account

    ids = []
    for unit in ("stationA", "stationB"):
        customer_id = w.customer(unit)
        w.meter(customer_id, w.reading_area(unit))
        with w.platform.engine.connect() as conn:
            ids.append(conn.scalar(select(Account.id).where(Account.customer_id == customer_id)))
    return ids[0], ids[1]


def _session_of(w: World, staff: Staff) -> int:
    now = clock.now()
    with w.platform.engine.begin() as conn:
        conn.execute(
            insert(AuthSession).values(
                account_id=staff.id,
                token_hash=authn.token_digest(secrets.token_hex(8)),
                kind="api",
                stage=SessionStage.FULL.value,
                ip="127.0.0.1",
                user_agent="pytest",
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
        return int(
            conn.execute(
                select(AuthSession.id).order_by(AuthSession.id.desc()).limit(1)
            ).scalar_one()
        )


def _session(w: World, s: Staff) -> tuple[int, int]:
    # Inside: one's own other session. Outside: a session of someone in another county.
    return _session_of(w, s), _session_of(w, w.staff(Post.CASHIER, "stationB"))


# Collection and arrears (BILL-5, BILL-6): an overdue bill of a key customer, an instalment
# plan, and a disconnection notice created by someone else (so the caller may decide it).
def _overdue_bill(w: World, unit: str) -> int:
    bills = Bills(w)
    return bills.bill(
        bills.account(unit, key=True), "20000.00", due=clock.business_day() - timedelta(days=30)
    )


def _bill(w: World, s: Staff) -> tuple[int, int]:
    return _overdue_bill(w, "stationA"), _overdue_bill(w, "stationB")


def _plan_in(w: World, unit: str) -> int:
    data = PlanCreate(
        bill_ids=[_overdue_bill(w, unit)],
        count=3,
        first_due_date=clock.business_day() + timedelta(days=5),
    )
    return collection_services.do_create_plan(w.platform.uow(w.system()), data)


def _plan(w: World, s: Staff) -> tuple[int, int]:
    return _plan_in(w, "stationA"), _plan_in(w, "stationB")


def _notice_in(w: World, unit: str) -> int:
    bill = _overdue_bill(w, unit)
    with w.platform.uow(w.system(), readonly=True) as uow:
        account = uow.session.scalar(select(BillModel.account_id).where(BillModel.id == bill))
    creator = w.actor(w.staff(Post.FINANCE, unit))
    data = NoticeCreate(account_id=int(account or 0), reason="欠费逾期")
    return collection_services.do_create_notice(w.platform.uow(creator), data).id


def _arrears_account(w: World) -> int:
    bill = _overdue_bill(w, "stationA")
    with w.platform.uow(w.system(), readonly=True) as uow:
        return int(
            uow.session.scalar(select(BillModel.account_id).where(BillModel.id == bill)) or 0
        )


def _notice(w: World, s: Staff) -> tuple[int, int]:
    return _notice_in(w, "stationA"), _notice_in(w, "stationB")


PARAMS: dict[str, Callable[[World, Staff], tuple[Any, Any]]] = {
    "customer_id": _customer,
    "meter_id": _meter,
    "unit_id": _unit,
    "account_id": _account,
    "power_account_id": _power_account,
    "session_id": _session,
    "bill_id": _bill,
    "plan_id": _plan,
    "notice_id": _notice,
}


def _id_number(c: Ctx) -> str:
    first17 = f"33018319850115{c.unique() % 1000:03d}"
    return first17 + id_check_char(first17)


def _new_customer_json(c: Ctx) -> dict[str, Any]:
    return {
        "json": {
            "kind": "resident",
            "name": "测试客户",
            "org_unit_id": c.world.units["stationA"],
            "address": "浙江省杭州市富阳区富春街道江滨西路8号",
            "id_number": _id_number(c),
            "mobile": "13812345678",
        }
    }


def _meter_json(c: Ctx) -> dict[str, Any]:
    return {
        "json": {
            "asset_no": f"ZJM{secrets.randbelow(10**8):08d}",
            "model": "DDZY71-Z",
            "reading_area_id": c.world.reading_area("stationA"),
            "latitude": "30.050000",
            "longitude": "119.950000",
            "installed_on": "2026-01-05",
        }
    }


BODIES: dict[str, Callable[[Ctx], dict[str, Any]]] = {
    "POST /api/auth/token": lambda c: {"json": {"username": "nobody", "password": "x", "otp": ""}},
    "POST /api/auth/logout": lambda c: {},
    "POST /api/auth/password": lambda c: {
        "json": {"current_password": "Test@Password1", "new_password": f"New@Password{c.unique()}x"}
    },
    "POST /api/auth/totp": lambda c: {"json": {"code": "000000"}},
    "DELETE /api/auth/sessions/{session_id}": lambda c: {},
    "POST /api/customers": _new_customer_json,
    "PATCH /api/customers/{customer_id}": lambda c: {"json": {"name": "新名字"}},
    "POST /api/customers/{customer_id}/meters": _meter_json,
    "PUT /api/power-accounts/{power_account_id}/direct-debit": lambda c: {
        "json": {"bank_name": "中国工商银行", "bank_account": "6222020000000000017"}
    },
    "POST /api/org/units": lambda c: {
        "json": {
            "code": f"new-{c.unique()}-{secrets.token_hex(2)}",
            "name": "新供电所",
            "name_en": "New station",
            "kind": "station",
            "parent_id": c.world.units[INSIDE_COUNTY],
        }
    },
    "POST /api/staff": lambda c: {
        "json": {
            "username": f"new.user.{secrets.token_hex(3)}",
            "real_name": "新员工",
            "post": "cashier",
            "org_unit_id": c.world.units["stationA"],
            "initial_password": "Initial@Pass1",
        }
    },
    "POST /api/audit/verify": lambda c: {},
    # Console forms.
    "POST /login": lambda c: {"data": {"username": "nobody", "password": "x", "otp": ""}},
    "POST /logout": lambda c: {},
    "POST /account/password": lambda c: {
        "data": {
            "current_password": "Test@Password1",
            "new_password": f"New@Password{c.unique()}x",
            "repeat_password": f"New@Password{c.n}x",
        }
    },
    "POST /account/totp": lambda c: {"data": {"code": "000000"}},
    "POST /sessions/{session_id}/revoke": lambda c: {},
    "POST /customers/new": lambda c: {
        "data": {k: str(v) for k, v in _new_customer_json(c)["json"].items()}
    },
    "POST /customers/accounts/{power_account_id}/direct-debit": lambda c: {
        "data": {"bank_name": "中国工商银行", "bank_account": "6222020000000000017"}
    },
    "POST /audit/verify": lambda c: {},
    "POST /audit/export": lambda c: {"data": {"action": "staff.create"}},
    # Collection and arrears (BILL-5, BILL-6).
    "POST /api/collection/bills/{bill_id}/write-offs": lambda c: {
        "json": {"amount": "1.00", "reference": f"perm-{c.unique()}-{secrets.token_hex(3)}"}
    },
    "POST /api/collection/instalment-plans": lambda c: {
        "json": {
            "bill_ids": [_overdue_bill(c.world, "stationA")],
            "count": 3,
            "first_due_date": str(clock.business_day() + timedelta(days=5)),
        }
    },
    "POST /api/collection/notices": lambda c: {
        "json": {"account_id": _arrears_account(c.world), "reason": "欠费逾期"}
    },
    "POST /api/collection/notices/{notice_id}/decision": lambda c: {"json": {"approve": True}},
    "POST /api/collection/notices/{notice_id}/execute": lambda c: {},
    "POST /collection/bills/{bill_id}/write-offs": lambda c: {
        "data": {"amount": "1.00", "reference": f"perm-{c.unique()}-{secrets.token_hex(3)}"}
    },
    "POST /collection/bills/{bill_id}/plan": lambda c: {
        "data": {
            "count": "3",
            "first_due_date": str(clock.business_day() + timedelta(days=5)),
            "interval_days": "30",
        }
    },
    "POST /arrears/notices": lambda c: {
        "data": {"account_id": str(_arrears_account(c.world)), "reason": "欠费逾期"}
    },
    "POST /arrears/notices/{notice_id}/decision": lambda c: {"data": {"approve": "yes"}},
    "POST /arrears/notices/{notice_id}/execute": lambda c: {},
}

# Responses that count as "allowed" for an authorised, in-region caller. A few routes
# answer a well-formed request with a business refusal that still proves the guard let
# the caller through (e.g. TOTP already enrolled → 409).
ALLOWED = {200, 201, 204, 302, 303}
ALLOWED_BUSINESS: dict[str, set[int]] = {
    "GET /api/auth/totp": {409},
    "POST /api/auth/totp": {409},
    "GET /account/totp": {409},
    "POST /account/totp": {409},
    # A fresh notice is pending, not yet executable: the refusal proves the guard passed.
    "POST /api/collection/notices/{notice_id}/execute": {409},
    "POST /arrears/notices/{notice_id}/execute": {409},
}

BODIES.update(READINGS_BODIES)
PARAMS.update(READINGS_PARAMS)
ALLOWED_BUSINESS.update(READINGS_ALLOWED_BUSINESS)
BODIES.update(RECON_BODIES)
ALLOWED_BUSINESS.update(RECON_ALLOWED_BUSINESS)
BODIES.update(BILLING_BODIES)
PARAMS.update(BILLING_PARAMS)
ALLOWED_BUSINESS.update(BILLING_ALLOWED_BUSINESS)
BODIES.update(TERMINALS_BODIES)
PARAMS.update(TERMINALS_PARAMS)
BODIES.update(DATAUSE_BODIES)
PARAMS.update(DATAUSE_PARAMS)
ALLOWED_BUSINESS.update(DATAUSE_ALLOWED_BUSINESS)
BODIES.update(GOVERNANCE_BODIES)
PARAMS.update(GOVERNANCE_PARAMS)
ALLOWED_BUSINESS.update(GOVERNANCE_ALLOWED_BUSINESS)
BODIES.update(OPS_BODIES)
PARAMS.update(OPS_PARAMS)
BODIES.update(COUNTER_BODIES)
PARAMS.update(COUNTER_PARAMS)
ALLOWED_BUSINESS.update(COUNTER_ALLOWED_BUSINESS)
BODIES.update(LEDGER_BODIES)
PARAMS.update(LEDGER_PARAMS)
BODIES.update(RISK_BODIES)
PARAMS.update(RISK_PARAMS)
ALLOWED_BUSINESS.update(RISK_ALLOWED_BUSINESS)
BODIES.update(HALL_BODIES)
PARAMS.update(HALL_PARAMS)
ALLOWED_BUSINESS.update(HALL_ALLOWED_BUSINESS)
BODIES.update(FIELDWORK_BODIES)
PARAMS.update(FIELDWORK_PARAMS)
ALLOWED_BUSINESS.update(FIELDWORK_ALLOWED_BUSINESS)
BODIES.update(APPLICATIONS_BODIES)
PARAMS.update(APPLICATIONS_PARAMS)
ALLOWED_BUSINESS.update(APPLICATIONS_ALLOWED_BUSINESS)
BODIES.update(ANALYTICS_BODIES)
PARAMS.update(ANALYTICS_PARAMS)
ALLOWED_BUSINESS.update(ANALYTICS_ALLOWED_BUSINESS)
BODIES.update(SECOPS_BODIES)
PARAMS.update(SECOPS_PARAMS)
ALLOWED_BUSINESS.update(SECOPS_ALLOWED_BUSINESS)
BODIES.update(PORTAL_BODIES)
PARAMS.update(PORTAL_PARAMS)
