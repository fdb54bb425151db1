"""Inside/outside objects for the operations routes: key-field alerts (AUD-3) — one raised
in the caller's county and one in the other county — and scheduled jobs, which are
utility-wide: a real job inside, an unknown name outside (404 either way for no job).
Webhooks and event deliveries (ADR 0016) are utility-wide too: a real one inside, an id
that does not exist outside."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safegrid.alerts.models import Alert
from safegrid.customers.models import Meter
from safegrid.platform import clock
from safegrid.platform.outbox import OutboxMessage
from safegrid.relay import services as relay_services
from safegrid.relay.models import DeliveryState, EventDelivery
from safegrid.relay.schemas import WebhookCreate
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


MISSING = 987_654_321


_hook_names = itertools.count(1)


def _webhook_body() -> dict[str, Any]:
    name = f"perm-hook-{next(_hook_names)}"
    return {"name": name, "url": "https://hooks.example/in", "events": "*"}


def _webhook(w: World, s: Staff) -> tuple[int, int]:
    created = relay_services.do_create_webhook(
        w.platform.uow(w.system()), WebhookCreate.model_validate(_webhook_body())
    )
    return created.webhook.id, MISSING


def _dead_delivery(w: World) -> int:
    """A delivery the relay gave up on, as the requeue route's example."""
    now = clock.now()
    with w.platform.uow(w.system()) as uow:
        message = OutboxMessage(topic="PermProbe", payload={}, created_at=now, relayed_at=now)
        uow.session.add(message)
        uow.session.flush()
        delivery = EventDelivery(
            message_id=message.id,
            target="subscriber:perm.probe",
            state=DeliveryState.DEAD,
            attempts=8,
            last_error="down",
            created_at=now,
        )
        uow.session.add(delivery)
        uow.session.flush()
        uow.audit("test.dead_delivery", object_type="event_delivery", object_id=delivery.id)
        uow.commit()
        return delivery.id


def _empty(c: Ctx) -> dict[str, Any]:
    return {}


OPS_PARAMS = {"alert_id": _alert, "job_name": _job, "webhook_id": _webhook}
OPS_BODIES = {
    "POST /api/alerts/{alert_id}/acknowledge": _empty,
    "POST /alerts/{alert_id}/acknowledge": _empty,
    "POST /jobs/{job_name}/run": _empty,
    "POST /api/events/webhooks": lambda c: {"json": _webhook_body()},
    "POST /api/events/webhooks/{webhook_id}/disable": _empty,
    "POST /jobs/events/requeue": _empty,
    "POST /api/events/deliveries/requeue": lambda c: {
        "json": {"delivery_ids": [_dead_delivery(c.world)]}
    },
}
