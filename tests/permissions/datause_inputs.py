"""Permission-matrix inputs of the data-use routes (DATA-4, DATA-5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from safegrid.platform import clock
from safegrid.security.policy import POLICY, Perm, Post
from tests.fixtures.datause import file_request, granted
from tests.fixtures.world import Staff, World


def _request(w: World, s: Staff) -> tuple[int, int]:
    # Filed by someone else, waiting for the head: the caller may read or decide it.
    inside = file_request(w, w.staff(Post.HALL_AGENT, "hallA"))
    outside = file_request(w, w.staff(Post.HALL_AGENT, "hallB"))
    return inside, outside


def _grant(w: World, s: Staff) -> tuple[int, int]:
    # A grant in force of someone else in each region: the caller may revoke the inside one.
    inside = granted(w, w.staff(Post.HALL_AGENT, "hallA"))
    outside = granted(
        w, w.staff(Post.HALL_AGENT, "hallB"), head=w.staff(Post.DEPARTMENT_HEAD, "countyB")
    )
    return inside, outside


def _reveal_body(c: Any) -> dict[str, Any]:
    # A grant over the caller's county, so the inside customer (stationA) is covered.
    if Perm.DATAUSE_REQUEST in POLICY[c.staff.post]:
        head = c.world.staff(Post.DEPARTMENT_HEAD, "countyA")
        granted(c.world, c.staff, scope_unit="countyA", head=head)
    return {"json": {"field": "id_number"}}


def _reveal_form(c: Any) -> dict[str, Any]:
    return {"data": _reveal_body(c)["json"]}


def _request_json(c: Any) -> dict[str, Any]:
    start = clock.now()
    return {
        "json": {
            "purpose": "核实客户身份以办理过户",
            "fields": ["id_number"],
            "scope_unit_id": c.world.units["countyA"],
            "period_from": start.isoformat(),
            "period_to": (start + timedelta(days=3)).isoformat(),
        }
    }


def _request_form(c: Any) -> dict[str, Any]:
    today = clock.business_day()
    return {
        "data": {
            "kind": "view",
            "purpose": "核实客户身份以办理过户",
            "fields": "id_number",
            "scope_unit_id": str(c.world.units["countyA"]),
            "period_from": today.isoformat(),
            "period_to": (today + timedelta(days=3)).isoformat(),
        }
    }


DATAUSE_PARAMS: dict[str, Callable[[World, Staff], tuple[Any, Any]]] = {
    "request_id": _request,
    "grant_id": _grant,
}
DATAUSE_BODIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "POST /api/datause/requests": _request_json,
    "POST /api/datause/requests/{request_id}/head-decision": lambda c: {"json": {"approve": True}},
    "POST /api/datause/requests/{request_id}/dso-decision": lambda c: {"json": {"approve": True}},
    "POST /api/customers/{customer_id}/reveal": _reveal_body,
    "POST /api/datause/grants/{grant_id}/revoke": lambda c: {"json": {"reason": "用途已完成"}},
    "POST /datause/grants/{grant_id}/revoke": lambda c: {"data": {"reason": "用途已完成"}},
    "POST /api/datause/exports": lambda c: {"json": {"format": "csv"}},
    "POST /datause/requests/new": _request_form,
    "POST /datause/requests/{request_id}/head-decision": lambda c: {"data": {"approve": "yes"}},
    "POST /datause/requests/{request_id}/dso-decision": lambda c: {"data": {"approve": "yes"}},
    "POST /datause/customers/{customer_id}/reveal": _reveal_form,
    "POST /datause/exports": lambda c: {"data": {"format": "xlsx"}},
}
# The fixture request waits for the department head: the DSO step answers 409, which
# still proves the guard let the caller through.
DATAUSE_ALLOWED_BUSINESS: dict[str, set[int]] = {
    "POST /api/datause/requests/{request_id}/dso-decision": {409},
    "POST /datause/requests/{request_id}/dso-decision": {409},
}
