"""Pairing a hall's local node (OPS-6): the server draws the node's SM4 sealing key, keeps
it encrypted (DATA-2 column) and hands it over once, to be written into the node's file."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from safegrid.payments.counter import halls
from safegrid.payments.counter.receipts import hall_prefix
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, PermissionDeniedError
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.offline import sealing
from safegrid.secops.offline.models import OfflineNode
from safegrid.secops.offline.node import Pairing
from safegrid.security.policy import Perm


def do_pair_node(uow: UnitOfWork, hall_id: int, code: str) -> Pairing:
    actor = uow.actor
    if not actor.can(Perm.HALL_MANAGE):
        raise PermissionDeniedError(
            "只有营业厅主任可以配对离线节点 / only a hall manager pairs an offline node"
        )
    key = sealing.encode_key(sealing.new_key())
    try:
        with uow:
            hall = halls.hall(uow, hall_id)
            if actor.account_id is not None:  # the platform itself (a drill) pairs any hall
                halls.require_works_at(actor, hall)
            node = OfflineNode(
                code=code,
                seal_key=key,
                active=True,
                paired_by=actor.username,
                paired_at=clock.now(),
                org_unit_id=hall.id,
            )
            uow.session.add(node)
            uow.session.flush()
            uow.audit(
                "offline.node_paired",
                object_type="offline_hall_node",
                object_id=node.id,
                org_unit_id=hall.id,
                after={"code": code, "hall_id": hall.id},
            )
            pairing = Pairing(code, hall.id, hall_prefix(hall), key)
            uow.commit()
            return pairing
    except IntegrityError:
        raise ConflictError(
            "节点编号已存在或本厅已有离线节点 / an offline node with this code, or for this hall, exists",
            field="code",
        ) from None
