"""One step of an application, written in the step's transaction: its history row, its fact
in the hall event store (HALL-8: traceable per customer, reaching the feed through the
outbox) and its audit entry (AUD-1)."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from safegrid.applications.models import ApplicationStep, BusinessApplication
from safegrid.hall import store
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork

# Hall event kinds of the application steps (the monitor's fold ignores them).
SUBMITTED: Final = "application_submitted"
MORE_REQUESTED: Final = "application_more_requested"
SUPPLIED: Final = "application_supplied"
ACCEPTED: Final = "application_accepted"
REJECTED: Final = "application_rejected"


def record(
    uow: UnitOfWork,
    app: BusinessApplication,
    kind: str,
    *,
    actor: str,
    note: str = "",
    deadline: date | None = None,
    audit_after: dict[str, Any] | None = None,
) -> None:
    step = kind.removeprefix("application_")
    payload: dict[str, Any] = {
        "application_id": app.id,
        "number": app.number,
        "kind": app.kind,
        "status": app.status.value,
        "channel": app.channel.value,
    }
    if deadline is not None:
        payload["deadline"] = deadline.isoformat()
    [event_id] = store.append(
        uow,
        [store.Fact(app.org_unit_id, kind, payload, customer_id=app.customer_id)],
    )
    uow.session.add(
        ApplicationStep(
            org_unit_id=app.org_unit_id,
            application_id=app.id,
            step=step,
            status=app.status,
            actor=actor[:64],
            note=note[:500],
            deadline=deadline,
            hall_event_id=event_id,
            at=clock.now(),
        )
    )
    uow.audit(
        f"application.{step}",
        object_type="business_application",
        object_id=app.id,
        org_unit_id=app.org_unit_id,
        after={**payload, **(audit_after or {}), "by": actor[:64]},
    )
