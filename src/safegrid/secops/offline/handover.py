"""The server hands a paired node its rows (OPS-6, ADR 0035): the node proves it holds its
key by a request sealed under it (bound to the node and the send time), and gets the rows
of :mod:`.snapshot` sealed under the same key. A revoked node gets nothing; a request that
fails its seal is refused and logged, as a forged batch is."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select, update

from safegrid.bootstrap import Platform
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, PermissionDeniedError, ValidationProblem
from safegrid.secops.offline import sealing, snapshot
from safegrid.secops.offline.models import OfflineNode
from safegrid.secops.offline.sync import FORGED, REVOKED
from safegrid.security import sm4
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped

log = logging.getLogger("safegrid.secops.offline")
REQUEST, ANSWER = "snapshot-request", "snapshot"
FRESH = timedelta(minutes=10)


class SnapshotIn(BaseModel):
    node: str = Field(min_length=1, max_length=32)
    sent_at: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
    sealed: str = Field(min_length=1, max_length=4096)


class SnapshotOut(BaseModel):
    sent_at: str
    sealed: str


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def request(pairing_key: str, node: str, staff_only: bool, pending: int) -> dict[str, str]:
    """What a node sends (the node side of :func:`do_hand_over`)."""
    sent_at = stamp(clock.now())
    key = sealing.decode_key(pairing_key)
    asked = {"staff_only": staff_only, "pending": pending}
    sealed = sealing.seal_json(key, node, REQUEST, sent_at, asked)
    return {"node": node, "sent_at": sent_at, "sealed": sealed}


def _refuse(platform: Platform, actor: Actor, action: str, node: str, why: str) -> None:
    log.warning("offline snapshot %s: node %r", action, node)
    with platform.uow(actor) as uow:
        uow.audit(action, object_type="offline_hall_node", after={"node": node}, note=why[:300])
        uow.commit()


def do_hand_over(platform: Platform, req: SnapshotIn) -> SnapshotOut:
    actor = Actor.system("offline-handover", "api")
    with platform.uow(actor, readonly=True) as uow:
        node = uow.session.scalars(
            select(OfflineNode).where(OfflineNode.code == req.node),
            execution_options=unscoped("a node is identified by its code before anything"),
        ).first()
        if node is None:
            raise NotFoundError("离线节点不存在 / offline node unknown", field="node")
        uow.session.expunge(node)
    if not node.active or node.claimed_at is None:
        _refuse(platform, actor, "offline.snapshot_revoked", req.node, REVOKED)
        raise PermissionDeniedError(REVOKED)
    key = sealing.decode_key(node.seal_key)
    try:
        asked = sealing.open_json(key, req.node, REQUEST, req.sent_at, req.sealed)
        sent = datetime.fromisoformat(req.sent_at.replace("Z", "+00:00"))
    except (sm4.CryptoError, ValueError):
        _refuse(platform, actor, "offline.snapshot_forged", req.node, FORGED)
        raise ValidationProblem(FORGED, field="sealed") from None
    if abs(clock.now() - sent) > FRESH:
        raise ValidationProblem("请求时间不在有效期内 / the request is stale", field="sent_at")
    asked = asked if isinstance(asked, dict) else {}
    staff_only = bool(asked.get("staff_only", True))
    pending = asked.get("pending")
    with platform.uow(actor, readonly=True) as uow:
        rows = snapshot.export(uow.session.connection(), node.org_unit_id, staff_only=staff_only)
    counts = {name: len(found) for name, found in rows.items()}
    with platform.uow(actor) as uow:
        uow.session.execute(
            update(OfflineNode)
            .where(OfflineNode.id == node.id)
            .values(
                last_contact_at=clock.now(),
                pending=pending if isinstance(pending, int) and pending >= 0 else None,
            ),
            execution_options=unscoped("the node that proved it holds its key"),
        )
        uow.audit(
            "offline.snapshot_sent",
            object_type="offline_hall_node",
            object_id=node.id,
            org_unit_id=node.org_unit_id,
            after={"node": node.code, "staff_only": staff_only, "rows": counts},
        )
        uow.commit()
    answered = stamp(clock.now())
    sealed = sealing.seal_json(key, node.code, ANSWER, answered, snapshot.encode(rows))
    return SnapshotOut(sent_at=answered, sealed=sealed)
