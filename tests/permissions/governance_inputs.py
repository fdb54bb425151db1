"""Permission-matrix inputs of the account-lifecycle and work-order routes (IAM-4..8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from safegrid.fieldwork import services as fieldwork
from safegrid.fieldwork.models import WorkOrderKind
from safegrid.governance import permchange
from safegrid.governance.models import IdleReview, ReviewStatus
from safegrid.platform import clock
from safegrid.security.policy import Post
from tests.fixtures.world import Staff, World


def _change_in(w: World, unit: str) -> int:
    # Applied by someone else about someone else, so any caller may decide it.
    applicant = w.staff(Post.CASHIER, unit)
    target = w.staff(Post.CASHIER, unit)
    return permchange.do_apply(
        w.platform.uow(w.actor(applicant)),
        permchange.NewChange(target.id, Post.CHECKER, "岗位调整申请"),
    )


def _change(w: World, s: Staff) -> tuple[int, int]:
    return _change_in(w, "stationA"), _change_in(w, "stationB")


def _review_in(w: World, unit: str) -> int:
    account = w.staff(Post.CASHIER, unit)
    with w.platform.uow(w.system()) as uow:
        review = IdleReview(
            account_id=account.id,
            org_unit_id=w.units[unit],
            run_month=clock.business_day().strftime("%Y-%m"),
            last_active_at=clock.now() - timedelta(days=40),
            listed_at=clock.now(),
            status=ReviewStatus.LISTED,
        )
        uow.session.add(review)
        uow.session.flush()
        uow.audit("test.idle_listed", object_type="idle_review", object_id=review.id)
        uow.commit()
        return review.id


def _review(w: World, s: Staff) -> tuple[int, int]:
    return _review_in(w, "stationA"), _review_in(w, "stationB")


def _work_order_in(w: World, unit: str) -> int:
    meter = w.meter(w.customer(unit), w.reading_area(unit))
    return fieldwork.do_open_work_order(
        w.platform.uow(w.system()),
        fieldwork.NewWorkOrder(WorkOrderKind.INSPECT, meter, clock.business_day()),
    )


def _work_order(w: World, s: Staff) -> tuple[int, int]:
    return _work_order_in(w, "stationA"), _work_order_in(w, "stationB")


GOVERNANCE_PARAMS: dict[str, Callable[[World, Staff], tuple[Any, Any]]] = {
    "change_id": _change,
    "review_id": _review,
    "work_order_id": _work_order,
}

_G = "/api/governance"
GOVERNANCE_BODIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    f"POST {_G}/training/{{account_id}}": lambda c: {"json": {"add_hours": "2"}},
    f"POST {_G}/training/{{account_id}}/activate": lambda c: {},
    f"POST {_G}/departures": lambda c: {
        "json": {
            "account_id": c.world.staff(Post.CASHIER, "stationA").id,
            "effective_at": (clock.now() + timedelta(days=1)).isoformat(),
            "reason": "合同到期",
        }
    },
    f"POST {_G}/permission-changes": lambda c: {
        "json": {
            "target_id": c.world.staff(Post.CASHIER, "stationA").id,
            "requested_post": "checker",
            "reason": "岗位调整申请",
        }
    },
    f"POST {_G}/permission-changes/{{change_id}}/leader-decision": lambda c: {
        "json": {"approve": True}
    },
    f"POST {_G}/permission-changes/{{change_id}}/head-decision": lambda c: {
        "json": {"approve": True}
    },
    f"POST {_G}/permission-changes/{{change_id}}/execute": lambda c: {},
    f"POST {_G}/idle-accounts/{{review_id}}": lambda c: {"json": {"disable": True}},
    f"PUT {_G}/contractors/{{account_id}}/service-end": lambda c: {
        "json": {"ends_on": str(clock.business_day() + timedelta(days=30))}
    },
    "POST /api/workorders": lambda c: {
        "json": {
            "kind": "inspect",
            "meter_id": c.world.meter(
                c.world.customer("stationA"), c.world.reading_area("stationA")
            ),
            "planned_on": str(clock.business_day()),
        }
    },
    "POST /api/workorders/{work_order_id}/assign": lambda c: {"json": {"assignee_id": None}},
    "POST /api/workorders/{work_order_id}/close": lambda c: {"json": {"cancelled": True}},
    "PUT /api/staff/{account_id}/mobile": lambda c: {"json": {"mobile": "13912345678"}},
    # Console forms.
    "POST /governance/permission-changes": lambda c: {
        "data": {
            "target_id": str(c.world.staff(Post.CASHIER, "stationA").id),
            "requested_post": "checker",
            "reason": "岗位调整申请",
        }
    },
    "POST /governance/permission-changes/{change_id}/leader-decision": lambda c: {
        "data": {"approve": "yes"}
    },
    "POST /governance/permission-changes/{change_id}/head-decision": lambda c: {
        "data": {"approve": "yes"}
    },
    "POST /governance/permission-changes/{change_id}/execute": lambda c: {},
    "POST /governance/departures": lambda c: {
        "data": {
            "account_id": str(c.world.staff(Post.CASHIER, "stationA").id),
            "effective_at": "2099-01-01T08:00",
            "reason": "合同到期",
        }
    },
    "POST /governance/idle-accounts/{review_id}": lambda c: {"data": {"disable": "yes"}},
    "POST /governance/training/{account_id}": lambda c: {"data": {"add_hours": "2"}},
    "POST /governance/training/{account_id}/activate": lambda c: {},
    # Staff administration (issue 13): open, reset, unlock, freeze.
    "POST /staff/new": lambda c: {
        "data": {
            "username": f"matrix.{c.staff.id}",
            "real_name": "矩阵测试",
            "post": "cashier",
            "org_unit_id": str(c.world.units["stationA"]),
            "initial_password": "Matrix#2026ab",
        }
    },
    "POST /staff/{account_id}/reset-password": lambda c: {},
    "POST /staff/{account_id}/unlock": lambda c: {},
    "POST /staff/{account_id}/freeze": lambda c: {"data": {"reason": "离岗调查"}},
    "POST /workorders": lambda c: {
        "data": {
            "kind": "inspect",
            "meter_id": str(
                c.world.meter(c.world.customer("stationA"), c.world.reading_area("stationA"))
            ),
            "planned_on": str(clock.business_day()),
        }
    },
    "POST /workorders/{work_order_id}/assign": lambda c: {"data": {"assignee_id": ""}},
}

# Well-formed requests refused for a business reason prove the guard let the caller in.
GOVERNANCE_ALLOWED_BUSINESS: dict[str, set[int]] = {
    # The inside account is already active, so it is not pending activation.
    f"POST {_G}/training/{{account_id}}/activate": {409},
    # A fresh request is at the leader's step: the head's decision and execution must wait.
    f"POST {_G}/permission-changes/{{change_id}}/head-decision": {409},
    f"POST {_G}/permission-changes/{{change_id}}/execute": {409},
    # The inside account is a cashier, and only contractors have a service end date.
    f"PUT {_G}/contractors/{{account_id}}/service-end": {422},
    "POST /governance/training/{account_id}/activate": {409},
    "POST /governance/permission-changes/{change_id}/head-decision": {409},
    "POST /governance/permission-changes/{change_id}/execute": {409},
}
