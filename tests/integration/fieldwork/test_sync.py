"""OPS-6 (field side) with FLD-2: the offline app's queue reaches the server once — no loss,
no duplication: action idempotency keys, a replayed batch refused and logged, a key reused
for other content refused; the server's state wins over a stale device (ADR 0027)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.fieldwork import lifecycle
from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus
from safegrid.fieldwork.safety_models import FieldPhoto, OrderCheck
from safegrid.fieldwork.sync_models import SyncReceipt
from safegrid.platform import clock
from safegrid.security.models import AuditEntry
from tests.fixtures.apps import app_for
from tests.fixtures.field import Crew, full_checklist


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _key() -> str:
    return uuid.uuid4().hex


def _actions(order: int) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = [{"key": _key(), "kind": "accept", "order_id": order}]
    for c in full_checklist(order):
        actions.append(
            {
                "key": _key(),
                "kind": "check",
                "order_id": order,
                "item": c.item.value,
                "ok": c.ok,
                "value": str(c.value) if c.value is not None else None,
                "photo": base64.b64encode(c.photo).decode(),
            }
        )
    actions.append({"key": _key(), "kind": "start", "order_id": order})
    return actions


def _sync(  # type: ignore[no-untyped-def]
    client: TestClient,
    token: str,
    actions: list[dict[str, Any]],
    batch: str | None = None,
    language: str | None = None,
):
    headers = {"Authorization": f"Bearer {token}"}
    if language is not None:
        headers["Accept-Language"] = language
    return client.post(
        "/api/field/sync",
        json={"batch_key": batch or _key(), "actions": actions},
        headers=headers,
    )


def _count(crew: Crew, model: type) -> int:
    with crew.world.platform.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_ops_6_offline_queue_applied_once_replays_refused(crew: Crew, client: TestClient) -> None:
    order = crew.order()
    lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    token = crew.world.token(crew.operator)
    actions = _actions(order)
    batch = _key()
    first = _sync(client, token, actions, batch)
    assert first.status_code == 200, first.text
    assert [r["status"] for r in first.json()] == ["applied"] * 8
    with crew.world.platform.engine.connect() as conn:
        status = conn.execute(select(WorkOrder.status).where(WorkOrder.id == order)).scalar_one()
    assert WorkOrderStatus(status) == WorkOrderStatus.STARTED
    # the same batch again (the answer was lost): refused, logged, nothing written
    again = _sync(client, token, actions, batch, language="en")
    assert again.status_code == 409 and "already received" in again.json()["detail"]
    # the device resends its unconfirmed actions under a new batch key: replayed, once
    resent = _sync(client, token, actions)
    assert [r["status"] for r in resent.json()] == ["replayed"] * 8
    assert _count(crew, OrderCheck) == 6 and _count(crew, FieldPhoto) == 6
    assert _count(crew, SyncReceipt) == 8
    with crew.world.platform.engine.connect() as conn:
        refusals = conn.execute(
            select(func.count()).where(AuditEntry.action == "field.sync_replay_refused")
        ).scalar_one()
    assert refusals == 1


def test_ops_6_key_reused_for_other_content_and_stale_device(
    crew: Crew, client: TestClient
) -> None:
    order = crew.order()
    lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    token = crew.world.token(crew.operator)
    key = _key()
    assert (
        _sync(client, token, [{"key": key, "kind": "accept", "order_id": order}]).json()[0][
            "status"
        ]
        == "applied"
    )
    other = _sync(client, token, [{"key": key, "kind": "finish", "order_id": order}]).json()[0]
    assert other["status"] == "refused" and "other content" in other["message"]
    # server state wins: the order was cancelled while the device was offline
    from safegrid.fieldwork import services

    services.do_close(crew.uow(crew.leader), order, cancelled=True)
    stale = _sync(client, token, [{"key": _key(), "kind": "start", "order_id": order}]).json()[0]
    assert stale["status"] == "refused" and "cancelled" in stale["message"]


def test_ops_6_bad_sync_bodies_are_422(crew: Crew, client: TestClient) -> None:
    token = crew.world.token(crew.operator)
    bad = _sync(client, token, [{"key": "short", "kind": "accept", "order_id": 1}])
    assert bad.status_code == 422
    future = clock.now().replace(year=2030).isoformat()
    order = crew.order()
    lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    pos = _sync(
        client,
        token,
        [
            {
                "key": _key(),
                "kind": "position",
                "order_id": order,
                "lat": "30.05",
                "lon": "119.95",
                "at": future,
            }
        ],
    ).json()[0]
    assert pos["status"] == "refused" and "future" in pos["message"]


def test_ops_6_fld_2_a_phone_sized_photo_syncs(crew: Crew, client: TestClient) -> None:
    """A photo as a phone takes it (~1.5 MB, 2 MB as base64) goes through the sync: the
    app's requests carry up to ~8 MB of photos (ADR 0034); before, the 1 MB default body
    limit refused it with 413 and the item could never leave the device."""
    from safegrid.fieldwork.safety_models import CheckItem
    from tests.fixtures.field import exif_photo

    order = crew.order()
    lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    photo = exif_photo(clock.now(), side=1600)
    assert len(photo) > 1024 * 1024
    check = {
        "key": _key(),
        "kind": "check",
        "order_id": order,
        "item": CheckItem.CASING.value,
        "ok": True,
        "photo": base64.b64encode(photo).decode(),
    }
    answer = _sync(client, crew.world.token(crew.operator), [check])
    assert answer.status_code == 200, answer.text
    assert answer.json()[0]["status"] == "applied"
    with crew.world.platform.engine.connect() as conn:
        assert conn.execute(select(func.length(FieldPhoto.content))).scalar_one() == len(photo)
