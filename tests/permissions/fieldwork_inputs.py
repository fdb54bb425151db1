"""Example bodies for the field safety routes (FLD-1..8, OPS-6). They name objects that do
not exist, so an authorised caller gets the service's 404 (the guard let him through) or,
for the sync, 200 with the action refused — cheap enough for every post."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # inputs.py imports this module
    from tests.permissions.inputs import Ctx

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
}
FIELDWORK_ALLOWED_BUSINESS = {
    "POST /api/workorders/dispatch": {404},
    "POST /api/workorders/review": {404},
    "POST /api/field/steps": {404},
    "POST /api/field/kits": {404, 422},
    "POST /api/field/kit-tests": {404},
    "POST /api/field/rectifications": {404},
    "POST /fieldwork/dispatch": {404},
}
