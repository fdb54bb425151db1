"""Inside/outside objects for the operations routes: key-field alerts (AUD-3) — one raised
in the caller's county and one in the other county — and scheduled jobs, which are
utility-wide: a real job inside, an unknown name outside (404 either way for no job)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safegrid.alerts.models import Alert
from safegrid.customers.models import Meter
from tests.fixtures.world import Staff, World

if TYPE_CHECKING:  # inputs.py imports this module
    from tests.permissions.inputs import Ctx


def _alert_in(w: World, unit: str) -> int:
    meter_id = w.meter(w.customer(unit), w.reading_area(unit))
    with w.platform.uow(w.system()) as uow:
        uow.session.get_one(Meter, meter_id).multiplier = 50
        uow.audit("meter.update", object_type="meter", object_id=meter_id)
        uow.commit()
    with w.platform.uow(w.system(), readonly=True) as uow:
        return int(
            uow.session.scalars(
                select(Alert.id).where(Alert.object_id == str(meter_id)).order_by(Alert.id.desc())
            ).first()
            or 0
        )


def _alert(w: World, s: Staff) -> tuple[int, int]:
    return _alert_in(w, "stationA"), _alert_in(w, "stationB")


def _job(w: World, s: Staff) -> tuple[str, str]:
    return "platform.cache_purge", "no.such.job"


def _empty(c: Ctx) -> dict[str, Any]:
    return {}


OPS_PARAMS = {"alert_id": _alert, "job_name": _job}
OPS_BODIES = {
    "POST /api/alerts/{alert_id}/acknowledge": _empty,
    "POST /alerts/{alert_id}/acknowledge": _empty,
    "POST /jobs/{job_name}/run": _empty,
}
