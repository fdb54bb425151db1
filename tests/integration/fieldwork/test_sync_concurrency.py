"""OPS-6: uniqueness of sync batches and action keys is the database's, not a check before
an insert — concurrent callers (run on PostgreSQL in CI) get exactly one effect."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from sqlalchemy import func, select

from safegrid.fieldwork import lifecycle
from safegrid.fieldwork.safety_models import PositionFix
from safegrid.fieldwork.schemas import SyncBatchIn
from safegrid.fieldwork.sync import do_sync
from safegrid.fieldwork.sync_models import SyncBatch, SyncReceipt
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError
from tests.fixtures.field import Crew


def _race(fn: Any, n: int = 2) -> list[object]:
    barrier = threading.Barrier(n)
    out: list[object] = []

    def run() -> None:
        barrier.wait()
        try:
            out.append(fn())
        except Exception as exc:
            out.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_ops_6_concurrent_batch_and_action_keys_apply_once(crew: Crew) -> None:
    order = crew.order()
    lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    actor = crew.world.actor(crew.operator)
    platform = crew.world.platform
    action = {"key": uuid.uuid4().hex, "kind": "accept", "order_id": order}
    same_batch = SyncBatchIn.model_validate({"batch_key": uuid.uuid4().hex, "actions": [action]})
    outcomes = _race(lambda: do_sync(platform, actor, same_batch))
    assert sum(isinstance(o, ConflictError) for o in outcomes) == 1
    # one new action key in two batches at once: applied once, the other answer "replayed"
    fix = {
        "key": uuid.uuid4().hex,
        "kind": "position",
        "order_id": order,
        "lat": "30.05",
        "lon": "119.95",
        "at": clock.now().isoformat(),
    }
    batches = iter(
        [
            SyncBatchIn.model_validate({"batch_key": uuid.uuid4().hex, "actions": [fix]})
            for _ in "ab"
        ]
    )
    lock = threading.Lock()

    def next_batch() -> SyncBatchIn:
        with lock:
            return next(batches)

    results = _race(lambda: do_sync(platform, actor, next_batch()))
    assert sorted(r[0].status for r in results) == ["applied", "replayed"]  # type: ignore[index]
    with platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PositionFix)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(SyncReceipt)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(SyncBatch)).scalar_one() == 3
