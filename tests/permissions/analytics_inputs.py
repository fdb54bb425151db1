"""Inside/outside objects for the analytics routes (ANA-1): a theft score of a meter in
the caller's county and one in the other county."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert

from safegrid.analytics.models import AnalyticsModel, TheftScore
from safegrid.platform import clock
from tests.fixtures.world import Staff, World

if TYPE_CHECKING:  # inputs.py imports this module
    from tests.permissions.inputs import Ctx

_versions = itertools.count(1)


def _score_in(w: World, unit: str) -> int:
    meter = w.meter(w.customer(unit), w.reading_area(unit))
    with w.platform.uow(w.system()) as uow:
        model_id = uow.session.execute(
            insert(AnalyticsModel)
            .values(
                kind="theft", version=f"perm-{next(_versions)}", training_data_sha256="0" * 64,
                training_rows=1, params="{}", evaluation="{}", path="-", registered_at=clock.now(),
            )
            .returning(AnalyticsModel.id)
        ).scalar_one()  # fmt: skip
        score = TheftScore(
            period="2026-01", meter_id=meter, org_unit_id=w.units[unit], model_id=model_id,
            score=0.9, unit_rank=1, reason="test", scored_at=clock.now(),
        )  # fmt: skip
        uow.session.add(score)
        uow.session.flush()
        uow.audit("analytics.theft_scored", object_type="theft_score", object_id=score.id)
        uow.commit()
        return score.id


def _score(w: World, s: Staff) -> tuple[int, int]:
    return _score_in(w, "stationA"), _score_in(w, "stationB")


ANALYTICS_PARAMS: dict[str, Callable[[World, Staff], tuple[Any, Any]]] = {
    "theft_score_id": _score,
}

ANALYTICS_BODIES: dict[str, Callable[[Ctx], dict[str, Any]]] = {
    "GET /api/analytics/theft/scores": lambda c: {"params": {"period": "2026-01"}},
    "GET /api/analytics/forecast/load": lambda c: {"params": {"days": 7}},
    "POST /api/analytics/theft/scores/{theft_score_id}/inspection": lambda c: {
        "json": {"result": "clean"}
    },
}

# The matrix's world has no readings: a forecast is refused for want of history (422),
# which proves the guard let the caller through.
ANALYTICS_ALLOWED_BUSINESS: dict[str, set[int]] = {"GET /api/analytics/forecast/load": {422}}
