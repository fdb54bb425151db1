"""Key-field change detection (AUD-3), driven by the column declaration.

A column is a key field when it says so once, in its model::

    multiplier: Mapped[int] = mapped_column(Integer, info={"key_field": "meter_multiplier"})

Updates of such a column are alerted; inserts only when the column also says
``"key_field_on_insert": True`` (a new version of a tariff is a price change; a new
meter's first multiplier is not) and the row's parent was not itself created in the same
transaction (seeding a new tariff with its first version is creation, not a change).
Session hooks do the work, so no service has to remember:

- ``before_flush`` reads each pending object's attribute history (the value before and
  after) and keeps the changes in ``session.info``;
- ``before_commit`` turns them into :class:`~safegrid.alerts.models.Alert` rows and SMS
  notifications to the managers of the object's unit (:mod:`safegrid.alerts.recipients`)
  in the same transaction as the change: no alert for a change that was rolled back, no
  change without its alert. Each alert points at the audit entry of the change
  (``audit_seq``), which holds the full masked before/after in the hash chain.

Detection is ORM-level on purpose: Core bulk statements (bill runs' set-based inserts, late
fee accruals) pay nothing for it and are not seen by it. Every path that changes a key
field of an existing row (meter edits, tariff versions, staff posts, bill reversals, bank
accounts) goes through the ORM; a new Core path changing one must raise its alert itself
with :func:`raise_alerts`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final

from sqlalchemy import event, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from safegrid.alerts.models import Alert
from safegrid.alerts.raise_alert import text_sms
from safegrid.alerts.recipients import managers_of, root_unit_id
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.db import Base
from safegrid.security.actor import Actor
from safegrid.security.audit import LAST_SEQ
from safegrid.security.masking import mask
from safegrid.security.models import StaffAccount

PENDING: Final = "safegrid_key_field_changes"
INSERTED: Final = "safegrid_key_field_inserted_parents"
ACTOR: Final = "actor"  # the UnitOfWork puts its actor here
TOPIC: Final = "alert.key_field"
LABEL_ATTRS: Final = ("asset_no", "number", "username", "code", "effective_from")

# SMS wording (Chinese: the managers' phones); the console translates key_field itself.
KEY_FIELD_LABELS: Final[dict[str, str]] = {
    "bank_account": "银行账号",
    "payment_status": "账单缴费状态",
    "tariff": "电价",
    "meter_multiplier": "电表倍率",
    "permissions": "人员岗位权限",
}


@dataclasses.dataclass(frozen=True)
class KeyColumn:
    attr: str
    key_field: str
    sensitive: str | None
    on_insert: bool


@dataclasses.dataclass(frozen=True)
class Change:
    obj: Any
    column: KeyColumn
    before: Any
    after: Any
    inserted: bool = False


_columns: dict[type[Any], tuple[KeyColumn, ...]] = {}


def key_columns(cls: type[Any]) -> tuple[KeyColumn, ...]:
    """The key-field columns of a mapped class (cached; empty for most classes)."""
    found = _columns.get(cls)
    if found is None:
        mapper = sa_inspect(cls, raiseerr=False)
        cols: list[KeyColumn] = []
        if mapper is not None:
            for prop in mapper.column_attrs:
                for col in prop.columns:
                    name = col.info.get("key_field")
                    if name:
                        cols.append(
                            KeyColumn(
                                prop.key,
                                str(name),
                                col.info.get("sensitive"),
                                bool(col.info.get("key_field_on_insert")),
                            )
                        )
        found = _columns[cls] = tuple(cols)
    return found


_parents: set[type[Any]] | None = None


def _insert_parents() -> set[type[Any]]:
    """Classes whose new rows can make an insert alert moot (many-to-one targets of classes
    with on-insert key fields)."""
    global _parents
    if _parents is None:
        found: set[type[Any]] = set()
        for mapper in Base.registry.mappers:
            if any(c.on_insert for c in key_columns(mapper.class_)):
                found.update(
                    rel.mapper.class_
                    for rel in mapper.relationships
                    if rel.direction.name == "MANYTOONE"
                )
        _parents = found
    return _parents


def _key(obj: Any) -> tuple[type[Any], tuple[Any, ...]]:
    return type(obj), tuple(sa_inspect(obj).mapper.primary_key_from_instance(obj))


def _created_with_parent(session: Session, obj: Any) -> bool:
    created = session.info.get(INSERTED)
    if not created:
        return False
    for rel in sa_inspect(obj).mapper.relationships:
        if rel.direction.name == "MANYTOONE":
            parent = getattr(obj, rel.key)
            if parent is not None and _key(parent) in created:
                return True
    return False


def declared_key_fields() -> list[tuple[str, str, str]]:
    """(table, column, key field) for every declared key field, for docs and tests."""
    return sorted(
        (table.name, col.name, str(col.info["key_field"]))
        for table in Base.metadata.tables.values()
        for col in table.columns
        if col.info.get("key_field")
    )


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _ctx: Any, _instances: Any) -> None:
    changes: list[Change] = []
    for obj in session.dirty:
        cols = key_columns(type(obj))
        if not cols:
            continue
        state = sa_inspect(obj)
        for col in cols:
            history = state.attrs[col.attr].history
            if not history.added:
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0]
            if history.deleted and before == after:
                continue
            changes.append(Change(obj, col, before, after))
    for obj in session.new:
        for col in key_columns(type(obj)):
            value = getattr(obj, col.attr)
            if col.on_insert and value is not None:
                changes.append(Change(obj, col, None, value, inserted=True))
    if changes:
        session.info.setdefault(PENDING, []).extend(changes)


@event.listens_for(Session, "after_flush")
def _note_parents(session: Session, _ctx: Any) -> None:
    parents = _insert_parents()
    if not parents:
        return
    new = [_key(obj) for obj in session.new if type(obj) in parents]
    if new:
        session.info.setdefault(INSERTED, set()).update(new)


@event.listens_for(Session, "before_commit")
def _alert_before_commit(session: Session) -> None:
    if not session.info.get(PENDING):
        return
    session.flush()  # new objects get their ids (and may add changes of their own)
    changes: list[Change] = [
        c
        for c in session.info.pop(PENDING, [])
        if not (c.inserted and _created_with_parent(session, c.obj))
    ]
    session.info.pop(INSERTED, None)
    actor = session.info.get(ACTOR)
    raise_alerts(session, changes, actor if isinstance(actor, Actor) else None)


@event.listens_for(Session, "after_commit")
def _done(session: Session) -> None:
    session.info.pop(INSERTED, None)
    session.info.pop(LAST_SEQ, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(INSERTED, None)
    session.info.pop(LAST_SEQ, None)


def shown(value: Any, sensitive: str | None) -> str:
    """A value as people see it in an alert: masked by its declared class (DATA-3)."""
    if value is None:
        return "—"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Decimal | date | datetime):
        value = str(value)
    text = str(value)
    if sensitive:
        text = mask(sensitive, text) or ""
    return text[:120]


def _label(obj: Any) -> str | None:
    for attr in LABEL_ATTRS:
        if hasattr(obj, attr):
            return str(getattr(obj, attr))[:64]
    return None


def _describe(changes: Sequence[Change]) -> tuple[str, str, str]:
    """(fields, before, after): one value when one column changed, ``col=value; …`` else."""
    if len(changes) == 1:
        c = changes[0]
        return (
            c.column.attr,
            shown(c.before, c.column.sensitive),
            shown(c.after, c.column.sensitive),
        )
    fields = ", ".join(c.column.attr for c in changes)
    before = "; ".join(f"{c.column.attr}={shown(c.before, c.column.sensitive)}" for c in changes)
    after = "; ".join(f"{c.column.attr}={shown(c.after, c.column.sensitive)}" for c in changes)
    return fields[:200], before[:500], after[:500]


def raise_alerts(session: Session, changes: Sequence[Change], actor: Actor | None) -> list[int]:
    """Record one alert per (object, key field) and queue an SMS to each manager with a
    mobile, inside the caller's transaction."""
    if not changes:
        return []
    actor = actor or Actor.system("key-fields")
    groups: dict[tuple[int, str], list[Change]] = {}
    for change in changes:
        groups.setdefault((id(change.obj), change.column.key_field), []).append(change)
    now = clock.now()
    root = root_unit_id(session)
    managers: dict[tuple[int, frozenset[int]], list[StaffAccount]] = {}
    alert_ids: list[int] = []
    audit_seq = session.info.get(LAST_SEQ)
    for (_obj, key_field), group in groups.items():
        obj = group[0].obj
        identity = sa_inspect(obj).identity
        unit_id = getattr(obj, "org_unit_id", None) or root
        if unit_id is None:
            continue  # no org tree yet (first-time setup): nobody to tell
        exclude = {actor.account_id} if actor.account_id is not None else set()
        if isinstance(obj, StaffAccount):
            exclude.add(obj.id)
        cache_key = (unit_id, frozenset(exclude))
        if cache_key not in managers:
            managers[cache_key] = managers_of(session, unit_id, frozenset(exclude))
        people = managers[cache_key]
        fields, before, after = _describe(group)
        object_type = sa_inspect(obj).mapper.local_table.name
        object_id = ",".join(str(v) for v in identity) if identity else "?"
        label = _label(obj)
        with_mobile = [p for p in people if p.mobile]
        alert_id = session.scalars(
            insert(Alert).returning(Alert.id),
            [
                {
                    "raised_at": now,
                    "key_field": key_field,
                    "object_type": object_type,
                    "object_id": object_id,
                    "object_label": label,
                    "fields": fields,
                    "before": before,
                    "after": after,
                    "changed_by": actor.username,
                    "channel": actor.channel,
                    "audit_seq": audit_seq,
                    "recipients": ",".join(p.username for p in people)[:500],
                    "notified": len(with_mobile),
                    "org_unit_id": unit_id,
                }
            ],
        ).one()
        alert_ids.append(int(alert_id))
        text = _sms(key_field, object_type, label or object_id, before, after, actor, now)
        text_sms(
            session,
            with_mobile,
            topic=TOPIC,
            alert_id=int(alert_id),
            text=text,
            actor=actor,
            unit_id=unit_id,
        )
    return alert_ids


def _sms(
    key_field: str,
    object_type: str,
    label: str,
    before: str,
    after: str,
    actor: Actor,
    at: datetime,
) -> str:
    what = KEY_FIELD_LABELS.get(key_field, key_field)
    when = at.astimezone(BUSINESS_TZ).strftime("%m-%d %H:%M")
    return (
        f"【关键字段变更】{object_type} {label} 的{what}由“{before[:60]}”改为“{after[:60]}”，"
        f"操作人 {actor.username}，{when}。请登录系统确认。"
    )
