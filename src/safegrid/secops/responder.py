"""Detection rules start playbooks (OPS-2): the ``secops.playbooks`` subscriber receives
``AnomalyDetected`` from the outbox relay and runs every automatic playbook whose scenarios
and minimum score match, as the system. Delivery is at least once; a second delivery of
the same detection finds its run already recorded (unique per detection and playbook)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safegrid.bootstrap import get_platform
from safegrid.platform import events
from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.secops.events import AnomalyDetected
from safegrid.secops.models import Playbook
from safegrid.secops.playbooks import RunRequest, do_run_playbook
from safegrid.security.actor import Actor

log = logging.getLogger(__name__)
ACTOR = Actor.system("secops.playbooks", "job")


def respond(records: Sequence[events.EventRecord]) -> None:
    platform = get_platform()
    with platform.uow(ACTOR, readonly=True) as uow:
        books = list(uow.session.scalars(select(Playbook).where(Playbook.auto.is_(True))))
    for record in records:
        event = record.event()
        if not isinstance(event, AnomalyDetected):
            continue
        for book in books:
            if event.scenario not in book.trigger_scenarios:
                continue
            if Decimal(event.score) < book.min_score:
                continue
            req = RunRequest(
                book.code,
                event.account_id,
                f"检测规则 / detection rule #{event.detection_id}",
                detection_id=event.detection_id,
                trigger="rule",
            )
            try:
                do_run_playbook(platform.uow(ACTOR), req)
            except IntegrityError:
                log.info("detection %s already answered by %s", event.detection_id, book.code)
            except (ConflictError, NotFoundError) as exc:
                # Refused (last administrator, account gone): logged and audited, not retried.
                log.warning("playbook %s refused for detection %s: %s", book.code,
                            event.detection_id, exc.message)  # fmt: skip


events.subscribe([AnomalyDetected], respond, name="secops.playbooks")
