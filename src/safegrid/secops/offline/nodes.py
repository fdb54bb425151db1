"""A hall's local node on the server (OPS-6): an administrator registers it for a hall and
gets a one-time pairing code; the node presents the code once and receives its SM4 sealing
key (kept encrypted on the server, DATA-2 column); an administrator may revoke it, after
which its batches are refused. Administration runs from the allow-listed networks only
(the route guard, ``Perm.SECOPS_MANAGE`` is an admin permission)."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from safegrid.org.models import OrgUnit, UnitKind
from safegrid.payments.counter import halls
from safegrid.payments.counter.receipts import hall_prefix
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.offline import sealing
from safegrid.secops.offline.models import OfflineBatch, OfflineCase, OfflineNode
from safegrid.secops.offline.node import Pairing
from safegrid.security.policy import Perm

PAIRING_HOURS = 24
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over a phone
BAD_CODE = (
    "配对码无效、已使用或已过期 / the pairing code is unknown, used or expired; "
    "ask the administrator for a new one"
)


@dataclasses.dataclass(frozen=True)
class Registered:
    node_id: int
    pairing_code: str  # shown once; the server keeps only its digest
    expires_at: datetime


@dataclasses.dataclass(frozen=True)
class NodeRow:
    id: int
    code: str
    hall: str
    state: str  # waiting | paired | expired | revoked
    registered_by: str
    registered_at: datetime
    claimed_at: datetime | None
    revoked_at: datetime | None
    last_sync: datetime | None
    last_contact: datetime | None
    pending: int | None
    batches: int
    open_cases: int


def _digest(code: str) -> str:
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(20))  # 100 bits
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def _require_admin(uow: UnitOfWork) -> None:
    if not uow.actor.can(Perm.SECOPS_MANAGE):
        raise PermissionDeniedError(
            "只有系统管理员可以管理离线节点 / only an administrator manages offline nodes"
        )


def do_register_node(uow: UnitOfWork, hall_id: int, code: str) -> Registered:
    _require_admin(uow)
    code = code.strip().upper()
    if not code or len(code) > 32 or not all(ch.isalnum() or ch == "-" for ch in code):
        raise ValidationProblem(
            "节点编号只能由字母、数字和连字符组成 / a node code is letters, digits and hyphens",
            field="code",
        )
    pairing_code, now = _new_code(), clock.now()
    try:
        with uow:
            hall = halls.hall(uow, hall_id)
            node = OfflineNode(
                code=code,
                seal_key=sealing.encode_key(sealing.new_key()),
                active=True,
                paired_by=uow.actor.username,
                paired_at=now,
                pairing_digest=_digest(pairing_code),
                pairing_expires_at=now + timedelta(hours=PAIRING_HOURS),
                org_unit_id=hall.id,
            )
            uow.session.add(node)
            uow.session.flush()
            uow.audit(
                "offline.node_registered",
                object_type="offline_hall_node",
                object_id=node.id,
                org_unit_id=hall.id,
                after={"code": code, "hall_id": hall.id},
            )
            uow.commit()
            return Registered(node.id, pairing_code, now + timedelta(hours=PAIRING_HOURS))
    except IntegrityError:
        raise ConflictError(
            "节点编号已存在或本厅已有在用的离线节点 / an offline node with this code, or an "
            "active one for this hall, exists",
            field="code",
        ) from None


def do_claim_node(uow: UnitOfWork, pairing_code: str) -> Pairing:
    """The node presents its code (once): it gets its key; the code is spent."""
    now = clock.now()
    with uow:
        node = uow.session.scalars(
            select(OfflineNode)
            .where(OfflineNode.pairing_digest == _digest(pairing_code))
            .with_for_update()
        ).first()
        if node is None or not node.active or node.claimed_at is not None:
            raise NotFoundError(BAD_CODE, field="pairing_code")
        expires = node.pairing_expires_at
        if expires is not None and expires <= now:
            raise NotFoundError(BAD_CODE, field="pairing_code")
        node.pairing_digest, node.claimed_at = None, now
        hall = uow.session.get(OrgUnit, node.org_unit_id)
        assert hall is not None  # FK
        uow.audit(
            "offline.node_paired",
            object_type="offline_hall_node",
            object_id=node.id,
            org_unit_id=hall.id,
            after={"code": node.code, "hall_id": hall.id},
        )
        pairing = Pairing(node.code, hall.id, hall_prefix(hall), node.seal_key)
        uow.commit()
        return pairing


def do_pair_node(uow: UnitOfWork, hall_id: int, code: str) -> Pairing:
    """Register and claim at once, for a node set up next to the server (the drill, the
    ``safegrid offline pair`` command run by an administrator on the server)."""
    registered = do_register_node(uow, hall_id, code)
    return do_claim_node(uow, registered.pairing_code)


def do_revoke_node(uow: UnitOfWork, node_id: int, reason: str) -> None:
    _require_admin(uow)
    reason = reason.strip()
    if len(reason) < 2:
        raise ValidationProblem("请写明吊销原因 / give the reason for revoking", field="reason")
    with uow:
        node = uow.session.scalars(
            select(OfflineNode).where(OfflineNode.id == node_id).with_for_update()
        ).first()
        if node is None:
            raise NotFoundError("离线节点不存在 / offline node not found")
        if not node.active:
            raise ConflictError("该节点已被吊销 / this node is already revoked", field="node")
        node.active, node.pairing_digest = False, None
        node.revoked_at, node.revoked_by = clock.now(), uow.actor.username
        uow.audit(
            "offline.node_revoked",
            object_type="offline_hall_node",
            object_id=node.id,
            org_unit_id=node.org_unit_id,
            before={"active": True},
            after={"active": False, "code": node.code},
            note=reason[:300],
        )
        uow.commit()


def _state(node: OfflineNode, now: datetime) -> str:
    if not node.active:
        return "revoked"
    if node.claimed_at is not None:
        return "paired"
    expires = node.pairing_expires_at
    return "expired" if expires is not None and expires <= now else "waiting"


def nodes(uow: UnitOfWork) -> list[NodeRow]:
    """The nodes in the caller's scope, newest first, with their last sync and open cases."""
    now = clock.now()
    with uow:
        syncs = (
            select(
                OfflineBatch.node_id,
                func.max(OfflineBatch.received_at).label("last"),
                func.count(OfflineBatch.id).label("n"),
            )
            .group_by(OfflineBatch.node_id)
            .subquery()
        )
        open_cases = (
            select(OfflineCase.org_unit_id, func.count(OfflineCase.id).label("n"))
            .where(OfflineCase.status == "open")
            .group_by(OfflineCase.org_unit_id)
            .subquery()
        )
        rows = uow.session.execute(
            select(OfflineNode, OrgUnit.name, syncs.c.last, syncs.c.n, open_cases.c.n)
            .join(OrgUnit, OrgUnit.id == OfflineNode.org_unit_id)
            .outerjoin(syncs, syncs.c.node_id == OfflineNode.id)
            .outerjoin(open_cases, open_cases.c.org_unit_id == OfflineNode.org_unit_id)
            .order_by(OfflineNode.id.desc())
            .limit(500)
        ).all()
        return [
            NodeRow(
                id=n.id,
                code=n.code,
                hall=hall,
                state=_state(n, now),
                registered_by=n.paired_by,
                registered_at=n.paired_at,
                claimed_at=n.claimed_at,
                revoked_at=n.revoked_at,
                last_sync=last,
                last_contact=n.last_contact_at,
                pending=n.pending,
                batches=int(batches or 0),
                open_cases=int(cases or 0) if n.active else 0,
            )
            for n, hall, last, batches, cases in rows
        ]


def halls_in_scope(uow: UnitOfWork) -> list[tuple[int, str]]:
    with uow:
        return [
            (u.id, u.name)
            for u in uow.session.scalars(
                select(OrgUnit).where(OrgUnit.kind == UnitKind.HALL).order_by(OrgUnit.id)
            )
        ]
