"""Alerts about events rather than column changes (AUD-3): a tampered payment callback, a
late bank deposit, a new risk case. Same rows and same recipients as key-field alerts, so
the managers' inbox and their SMS are one stream; written in the caller's transaction, so
an event that is rolled back raises nothing and a committed one is never silent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import insert
from sqlalchemy.orm import Session

from safegrid.alerts.models import Alert
from safegrid.alerts.recipients import managers_of, root_unit_id
from safegrid.notifications.models import Notification, NotificationStatus
from safegrid.platform import clock
from safegrid.security.actor import Actor
from safegrid.security.audit import LAST_SEQ
from safegrid.security.models import StaffAccount

TOPIC: Final = "alert.event"
# Kinds raised through this module; the console labels them (web/admin/ops.py).
EVENT_KINDS: Final = (
    "deposit_late",
    "callback_tampered",
    "risk_case",
    "inbox_backlog",
    "login_spray",  # security.lockout: many failed sign-ins from one address
    "hall_queue",
    "hall_wait",
    "hall_terminal",
)


def raise_alert(
    session: Session,
    *,
    kind: str,
    object_type: str,
    object_id: str,
    label: str | None,
    before: str | None,
    after: str | None,
    unit_id: int | None,
    actor: Actor | None,
    text: str,
) -> int:
    """One alert row for ``unit_id`` (the root unit when None) and one SMS ``text`` to each
    of the unit's managers with a mobile. ``before``/``after`` must already be masked:
    this function stores what it is given. Returns the alert id."""
    if not text.strip():
        raise ValueError("an alert needs a message for the managers")
    actor = actor or Actor.system(kind)
    unit = unit_id or root_unit_id(session)
    if unit is None:
        raise ValueError("no organisation unit to raise the alert in")
    exclude = frozenset({actor.account_id}) if actor.account_id is not None else frozenset()
    people = managers_of(session, unit, exclude)
    with_mobile = [p for p in people if p.mobile]
    now = clock.now()
    alert_id = session.scalars(
        insert(Alert).returning(Alert.id),
        [
            {
                "raised_at": now,
                "key_field": kind[:32],
                "object_type": object_type[:64],
                "object_id": object_id[:64],
                "object_label": None if label is None else label[:64],
                "fields": kind[:200],
                "before": None if before is None else before[:500],
                "after": None if after is None else after[:500],
                "changed_by": actor.username,
                "channel": actor.channel,
                "audit_seq": session.info.get(LAST_SEQ),
                "recipients": ",".join(p.username for p in people)[:500],
                "notified": len(with_mobile),
                "org_unit_id": unit,
            }
        ],
    ).one()
    text_sms(
        session,
        with_mobile,
        topic=TOPIC,
        alert_id=int(alert_id),
        text=text,
        actor=actor,
        unit_id=unit,
    )
    return int(alert_id)


def text_sms(
    session: Session,
    people: Sequence[StaffAccount],
    *,
    topic: str,
    alert_id: int,
    text: str,
    actor: Actor,
    unit_id: int,
) -> None:
    """Queue ``text`` as an SMS to each of ``people`` (who have a mobile) in the outbox."""
    if not people:
        return
    now = clock.now()
    session.execute(
        insert(Notification),
        [
            {
                "channel": "sms",
                "recipient": p.mobile,
                "topic": topic,
                "subject_type": "alert",
                "subject_id": str(alert_id),
                "body": text,
                "status": NotificationStatus.QUEUED,
                "attempts": 0,
                "created_at": now,
                "created_by": actor.username,
                "org_unit_id": unit_id,
            }
            for p in people
        ],
    )
