"""The offline hall's sync endpoint (OPS-6): parse → guard → service."""

from __future__ import annotations

from fastapi import APIRouter

from safegrid.bootstrap import get_platform
from safegrid.secops.offline.sync import BatchIn, SyncOut, do_sync_offline
from safegrid.security.api_access import CounterPay

router = APIRouter(prefix="/api/counter/offline", tags=["counter 柜台收费"])


@router.post("/sync", response_model=SyncOut)
def sync_offline(body: BatchIn, work: CounterPay) -> SyncOut:
    """离线收款同步: a hall node's sealed queue, each entry recorded exactly once."""
    return do_sync_offline(get_platform(), work.actor, body)
