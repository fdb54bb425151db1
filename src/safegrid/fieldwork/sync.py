"""Syncing a field device's offline work (OPS-6 field side; rules in ADR 0027).

A device queues actions while offline — accept/start/finish/submit, checklist items with
their photos, positions — each with its own idempotency key, and sends them in a batch with
a batch key. The batch key is claimed first (unique): a replayed batch is refused (409,
logged). Each action then runs through the same service the API and console use, in a
unit of work that writes the action's receipt in the same transaction as its effect
(:class:`KeyedUnitOfWork`), so an action is applied at most once and its key is recorded
exactly when it is. An action key seen before answers its recorded outcome ("replayed") if
the content is the same, and is refused if it is not. A refused action's receipt is written
in its own transaction: its first outcome is final, the device shows it and drops it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from safegrid.bootstrap import Platform
from safegrid.fieldwork import lifecycle
from safegrid.fieldwork.checklist import CheckIn, do_record_checks
from safegrid.fieldwork.positions import FixIn, do_report_positions
from safegrid.fieldwork.refusals import log
from safegrid.fieldwork.schemas import SyncAction, SyncBatchIn
from safegrid.fieldwork.sync_models import SyncBatch, SyncReceipt
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, SafeGridError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security import audit
from safegrid.security.actor import Actor

STEPS = ("accept", "start", "finish", "submit")


class KeyedUnitOfWork(UnitOfWork):
    """A unit of work that adds the action's receipt to the transaction it commits."""

    def __init__(self, platform: Platform, actor: Actor, receipt: SyncReceipt) -> None:
        super().__init__(platform.session_factory, actor, audit.CHAIN)
        self.receipt = receipt

    def commit(self) -> None:
        self.session.add(self.receipt)
        self.session.flush()  # a concurrent duplicate key fails here: nothing is applied
        super().commit()


@dataclasses.dataclass(frozen=True)
class ActionResult:
    key: str
    status: str  # applied | replayed | refused
    message: str | None = None


def digest(action: SyncAction) -> str:
    body = action.model_dump(mode="json", exclude={"key"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _photo(action: SyncAction) -> bytes:
    try:
        return base64.b64decode(action.photo or "", validate=True)
    except (binascii.Error, ValueError):
        raise ValidationProblem(
            "照片不是 base64 / the photo is not base64", field="photo"
        ) from None


def _runner(action: SyncAction) -> Callable[[UnitOfWork], object]:
    if action.kind in STEPS:
        return lambda uow: lifecycle.do_advance(uow, action.kind, [action.order_id])
    if action.kind == "check":
        if action.item is None or action.ok is None:
            raise ValidationProblem("检查项缺少 item/ok / a check needs item and ok", field="item")
        check = CheckIn(action.order_id, action.item, action.ok, _photo(action), action.value)
        return lambda uow: do_record_checks(uow, [check])
    if action.lat is None or action.lon is None or action.at is None:
        raise ValidationProblem("定位缺少 lat/lon/at / a position needs lat, lon, at", field="at")
    fix = FixIn(action.order_id, action.lat, action.lon, action.at)
    return lambda uow: do_report_positions(uow, [fix])


def _claim_batch(platform: Platform, actor: Actor, batch: SyncBatchIn) -> None:
    with platform.uow(actor) as uow:
        uow.session.add(
            SyncBatch(
                batch_key=batch.batch_key,
                account_id=actor.account_id,
                actions=len(batch.actions),
                received_at=clock.now(),
                org_unit_id=actor.org_unit_id,
            )
        )
        try:
            uow.session.flush()
        except IntegrityError:
            raise ConflictError(
                "该同步批次已提交过 / this sync batch was already received; resend unconfirmed "
                "actions under a new batch key",
                field="batch_key",
            ) from None
        uow.audit(
            "field.sync_batch",
            object_type="field_sync_batch",
            org_unit_id=actor.org_unit_id,
            after={"batch_key": batch.batch_key, "actions": len(batch.actions)},
        )
        uow.commit()


def _refused_receipt(
    platform: Platform, actor: Actor, receipt: SyncReceipt, exc: SafeGridError
) -> ActionResult:
    receipt.status, receipt.message = "refused", exc.message[:400]
    with platform.uow(actor) as uow:
        uow.session.add(receipt)
        try:
            uow.session.flush()
        except IntegrityError:  # a concurrent request recorded this key first
            return ActionResult(receipt.key, "replayed", None)
        uow.audit(
            "field.sync_refused",
            object_type="work_order",
            object_id=receipt.kind,
            org_unit_id=actor.org_unit_id,
            after={"key": receipt.key, "kind": receipt.kind},
            note=exc.message[:300],
        )
        uow.commit()
    return ActionResult(receipt.key, "refused", exc.message)


def _one(platform: Platform, actor: Actor, batch_key: str, action: SyncAction) -> ActionResult:
    fingerprint = digest(action)
    with platform.uow(actor, readonly=True) as uow:
        earlier = uow.session.scalar(select(SyncReceipt).where(SyncReceipt.key == action.key))
        if earlier is not None:
            if earlier.account_id != actor.account_id or earlier.digest != fingerprint:
                return ActionResult(
                    action.key,
                    "refused",
                    "同一幂等键的内容不同 / this key was already used for other content",
                )
            return ActionResult(action.key, "replayed", earlier.message)
    receipt = SyncReceipt(
        key=action.key,
        account_id=actor.account_id,
        batch_key=batch_key,
        kind=action.kind,
        digest=fingerprint,
        status="applied",
        received_at=clock.now(),
        org_unit_id=actor.org_unit_id,
    )
    try:
        _runner(action)(KeyedUnitOfWork(platform, actor, receipt))
    except IntegrityError:
        return ActionResult(action.key, "replayed", None)
    except SafeGridError as exc:
        return _refused_receipt(platform, actor, _fresh(receipt), exc)
    return ActionResult(action.key, "applied", None)


def _fresh(receipt: SyncReceipt) -> SyncReceipt:
    cols: dict[str, Any] = {
        c: getattr(receipt, c)
        for c in ("key", "account_id", "batch_key", "kind", "digest", "received_at", "org_unit_id")
    }
    return SyncReceipt(status="refused", **cols)


def do_sync(platform: Platform, actor: Actor, batch: SyncBatchIn) -> list[ActionResult]:
    """Apply a device's batch in order; every action gets its own outcome."""
    if actor.account_id is None:
        raise ValidationProblem("须以人员身份同步 / a staff member syncs", field="batch_key")
    try:
        _claim_batch(platform, actor, batch)
    except SafeGridError as exc:
        log.warning("field.sync replay by %s: %s", actor.username, batch.batch_key)
        with platform.uow(actor) as uow:
            uow.audit(
                "field.sync_replay_refused",
                object_type="field_sync_batch",
                after={"batch_key": batch.batch_key},
                note=exc.message[:300],
            )
            uow.commit()
        raise
    results = [_one(platform, actor, batch.batch_key, a) for a in batch.actions]
    counts = {s: sum(r.status == s for r in results) for s in ("applied", "replayed", "refused")}
    with platform.uow(actor) as uow:
        uow.session.execute(
            update(SyncBatch).where(SyncBatch.batch_key == batch.batch_key).values(**counts)
        )
        uow.audit(
            "field.sync_done",
            object_type="field_sync_batch",
            org_unit_id=actor.org_unit_id,
            after={"batch_key": batch.batch_key, **counts},
        )
        uow.commit()
    return results
