"""Permission-matrix inputs of the risk routes (PAY-4, PAY-5): a risk case inside and one
outside the caller's region, opened by the test-payment pattern as the portal would."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from safegrid.payments.risk import paid_batch
from safegrid.payments.risk.rules import DEFAULT_RULES
from safegrid.platform import clock
from safegrid.security.actor import Actor
from tests.fixtures.bills import Bills
from tests.fixtures.world import Staff, World

_payments = itertools.count(1)


def _case_in(w: World, unit: str) -> int:
    account = Bills(w).account(unit)
    decision = None
    for _ in range(3):
        with w.platform.uow(Actor.system("portal", "api")) as uow:
            pid = 900_000 + next(_payments)
            decision = paid_batch.note_paid(uow, account, Decimal("0.01"), clock.now(), pid)
            uow.audit("test.paid", object_type="payment", object_id=pid)
            uow.commit()
    assert decision is not None and decision.case_id is not None
    return decision.case_id


def _case(w: World, s: Staff) -> tuple[int, int]:
    return _case_in(w, "stationA"), _case_in(w, "stationB")


RISK_PARAMS: dict[str, Callable[[World, Staff], tuple[Any, Any]]] = {"risk_case_id": _case}

_R = "/api/payments/risk"
RISK_BODIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    f"POST {_R}/cases/{{risk_case_id}}/lift": lambda c: {"json": {"note": "核实为本人"}},
    f"POST {_R}/cases/{{risk_case_id}}/confirm": lambda c: {"json": {"note": "确认异常"}},
    f"POST {_R}/cases/{{risk_case_id}}/extend": lambda c: {"json": {"hours": 24, "note": "待核"}},
    f"PUT {_R}/rules": lambda c: {
        "json": {"note": "矩阵测试", "rules": [r.as_dict() for r in DEFAULT_RULES.rules]}
    },
    # Console forms.
    "POST /payments/risk/cases/{risk_case_id}/lift": lambda c: {"data": {"note": "核实为本人"}},
    "POST /payments/risk/cases/{risk_case_id}/confirm": lambda c: {"data": {"note": "确认异常"}},
    "POST /payments/risk/cases/{risk_case_id}/extend": lambda c: {
        "data": {"hours": "24", "note": "待核"}
    },
    "POST /payments/risk/rules": lambda c: {"data": _form(DEFAULT_RULES.rules)},
}


def _form(rules: Any) -> dict[str, str]:
    out = {"note": "矩阵测试"}
    for i, r in enumerate(rules):
        for key, value in r.as_dict().items():
            out[f"{key}_{i}"] = (
                "" if value is None else str(value).lower() if key == "enabled" else str(value)
            )
    return out


# A case decided by an earlier post in the same test is a conflict, not a refusal.
RISK_ALLOWED_BUSINESS: dict[str, set[int]] = {
    f"POST {_R}/cases/{{risk_case_id}}/lift": {409},
    f"POST {_R}/cases/{{risk_case_id}}/confirm": {409},
    f"POST {_R}/cases/{{risk_case_id}}/extend": {409},
    "POST /payments/risk/cases/{risk_case_id}/lift": {409},
    "POST /payments/risk/cases/{risk_case_id}/confirm": {409},
    "POST /payments/risk/cases/{risk_case_id}/extend": {409},
}
