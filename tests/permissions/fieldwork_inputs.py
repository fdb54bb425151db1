"""Example bodies for the field safety routes (FLD-1..8, OPS-6). They name objects that do
not exist, so an authorised caller gets the service's 404 (the guard let him through) or,
for the sync, 200 with the action refused — cheap enough for every post."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from safegrid.fieldwork.rectification import Colour, NewRectification, do_rectify
from safegrid.fieldwork.supervision import do_draw
from safegrid.security.policy import Post
from tests.fixtures.world import Staff, World

if TYPE_CHECKING:  # inputs.py imports this module
    from tests.permissions.inputs import Ctx

_months = itertools.count()


def _draw_in(w: World, unit: str) -> int:
    """A supervision draw of a long-past month (one per unit and month: a new month each)."""
    n = next(_months)
    period = f"{2019 - n // 12:04d}-{12 - n % 12:02d}"
    return do_draw(w.platform.uow(w.system()), w.units[unit], period).id


def _draws(w: World, s: Staff) -> tuple[int, int]:
    return _draw_in(w, "stationA"), _draw_in(w, "stationB")


def _rectifications(w: World, s: Staff) -> tuple[int, int]:
    """A yellow rectification in each station (issued by a head who sees both)."""
    head = w.staff(Post.DEPARTMENT_HEAD, "prov")
    workers = [w.staff(Post.FIELD_WORKER, unit) for unit in ("stationA", "stationB")]
    inside, outside = do_rectify(
        w.platform.uow(w.actor(head)),
        [NewRectification(worker.id, Colour.YELLOW, "权限矩阵") for worker in workers],
    )
    return inside, outside


NONE = 999_999


def _sync(c: Ctx) -> dict[str, Any]:
    n = c.unique()
    return {
        "json": {
            "batch_key": f"perm-batch-{n:06d}",
            "actions": [{"key": f"perm-action-{n:06d}", "kind": "accept", "order_id": NONE}],
        }
    }


FIELDWORK_BODIES = {
    "POST /api/workorders/dispatch": lambda c: {"json": {"ids": [NONE]}},
    "POST /api/workorders/review": lambda c: {"json": {"ids": [NONE]}},
    "POST /api/field/steps": lambda c: {"json": {"action": "accept", "ids": [NONE]}},
    "POST /api/field/sync": _sync,
    "POST /api/field/kits": lambda c: {"json": {"holder_id": NONE, "pieces": {}}},
    "POST /api/field/kit-tests": lambda c: {
        "json": {
            "kit_number": "KIT-NONE",
            "certificate_no": "CERT-PERM",
            "tested_on": "2026-11-20",
            "results": {},
        }
    },
    "POST /api/field/rectifications": lambda c: {
        "json": {"worker_id": NONE, "colour": "yellow", "reason": "权限矩阵"}
    },
    "POST /fieldwork/dispatch": lambda c: {"data": {"order_id": str(NONE)}},
    "POST /fieldwork/supervision/{draw_id}/review": lambda c: {
        "data": {"work_order_id": str(NONE), "record": "1"}
    },
    # a yellow one without the written review confirmed: the service's 422 proves the guard
    # passed, and the row stays open for the next caller
    "POST /api/field/rectifications/{rectification_id}/progress": lambda c: {"json": {}},
    "POST /fieldwork/rectifications/{rectification_id}/progress": lambda c: {"data": {}},
}
FIELDWORK_PARAMS = {"draw_id": _draws, "rectification_id": _rectifications}
FIELDWORK_ALLOWED_BUSINESS = {
    "POST /api/workorders/dispatch": {404},
    "POST /api/workorders/review": {404},
    "POST /api/field/steps": {404},
    "POST /api/field/kits": {404, 422},
    "POST /api/field/kit-tests": {404},
    "POST /api/field/rectifications": {404},
    "POST /fieldwork/dispatch": {404},
    # the draw of an empty month holds no order: "not in this draw" proves the guard passed
    "POST /fieldwork/supervision/{draw_id}/review": {422},
    "POST /api/field/rectifications/{rectification_id}/progress": {422},
    "POST /fieldwork/rectifications/{rectification_id}/progress": {422},
}
