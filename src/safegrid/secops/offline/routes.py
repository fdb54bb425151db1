"""The offline hall's endpoints (OPS-6): parse → guard → service. The sync takes a hall
cashier's bearer token; the pairing claim is public, its one-time code the credential."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from safegrid.bootstrap import get_platform
from safegrid.platform.errors import NotFoundError
from safegrid.secops.offline.handover import SnapshotIn, SnapshotOut, do_hand_over
from safegrid.secops.offline.nodes import do_claim_node
from safegrid.secops.offline.sync import BatchIn, SyncOut, do_sync_offline
from safegrid.security.actor import Actor
from safegrid.security.api_access import CounterPay
from safegrid.security.guards import public

router = APIRouter(prefix="/api/counter/offline", tags=["counter 柜台收费"])
log = logging.getLogger("safegrid.secops.offline")


class ClaimIn(BaseModel):
    pairing_code: str = Field(min_length=8, max_length=40)


class PairingOut(BaseModel):
    node: str
    hall_id: int
    hall_prefix: str
    key: str


@router.post("/sync", response_model=SyncOut)
def sync_offline(body: BatchIn, work: CounterPay) -> SyncOut:
    """离线收款同步: a hall node's sealed queue, each entry recorded exactly once."""
    return do_sync_offline(get_platform(), work.actor, body)


@router.post(
    "/pair",
    response_model=PairingOut,
    dependencies=[Depends(public("offline hall node pairing: its one-time code"))],
)
def claim_pairing(body: ClaimIn) -> PairingOut:
    """The node presents the one-time code an administrator gave its hall: its key, once."""
    platform = get_platform()
    try:
        pairing = do_claim_node(
            platform.uow(Actor.system("offline-pairing", "api")), body.pairing_code
        )
    except NotFoundError:
        log.warning("offline node pairing refused: unknown, used or expired code")
        raise
    return PairingOut(
        node=pairing.node, hall_id=pairing.hall_id, hall_prefix=pairing.hall_prefix, key=pairing.key
    )


@router.post(
    "/snapshot",
    response_model=SnapshotOut,
    dependencies=[Depends(public("offline hall node's rows: a request sealed with its own key"))],
)
def hand_over(body: SnapshotIn) -> SnapshotOut:
    """The paired node's rows (hall staff, accounts, open bills), sealed under its key."""
    return do_hand_over(get_platform(), body)
