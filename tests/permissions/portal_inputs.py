"""Inside/outside objects and bodies of the console's side of the customer portal: the
complaints and suggestions staff answer (filed in stationA of countyA, and in stationB)."""

from __future__ import annotations

from typing import Any

from tests.fixtures.portal import feedback_in
from tests.fixtures.world import Staff, World


def _feedback(w: World, s: Staff) -> tuple[int, int]:
    return feedback_in(w, "stationA"), feedback_in(w, "stationB")


PORTAL_PARAMS = {"feedback_id": _feedback}
PORTAL_BODIES: dict[str, Any] = {
    "POST /hall/feedback/{feedback_id}/answer": lambda c: {"data": {"answer": "已安排上门检查"}},
}
