"""The hall's local node's queue (OPS-6, ADR 0035): the node serves the counter pages
(``safegrid offline serve``: the same application, its "offline node" profile, on the
node's own SQLite file — :mod:`.site`), so a payment taken offline is an ordinary counter
receipt there, numbered from the hall's offline series and confirmed by a second person as
on the server. A confirmed receipt joins this queue; each entry's key is the receipt's
``request_key``, its idempotency key on the server too. When the link returns the queue
goes up sealed with the node's SM4 key under a fresh batch key (:mod:`.sealing`); an entry
leaves the queue only when the server answered it.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from safegrid.payments.counter.models import CounterMethod, CounterReceipt, ReceiptStatus
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.secops.offline import sealing

SYNC_PATH = "/api/counter/offline/sync"
meta = MetaData()
settings_table = Table(
    "node_settings", meta, Column("name", String(32), primary_key=True), Column("value", String)
)
entries_table = Table(
    "node_entries",
    meta,
    Column("receipt_no", String(64), primary_key=True),
    Column("entry_key", String(48), unique=True, nullable=False),
    Column("body", String, nullable=False),  # the entry as sent (JSON)
    Column("status", String(16), nullable=False, default="queued"),  # or the server's answer
    Column("answer", String(400)),
)


def _immediate(engine: Engine) -> None:
    # Writers queue for the counter row (BEGIN IMMEDIATE), as on the server's SQLite.
    @event.listens_for(engine, "connect")
    def _no_pysqlite_begin(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@dataclasses.dataclass(frozen=True)
class Pairing:
    node: str
    hall_id: int
    hall_prefix: str
    key: str  # base64 SM4 key


class HallNode:
    def __init__(self, path: Path) -> None:
        self.engine = create_engine(f"sqlite:///{path}")
        _immediate(self.engine)
        with self.engine.connect() as conn:
            rows: dict[str, str] = {str(n): str(v) for n, v in conn.execute(select(settings_table))}
        self.pairing = Pairing(rows["node"], int(rows["hall_id"]), rows["hall_prefix"], rows["key"])

    @classmethod
    def create(cls, path: Path, pairing: Pairing) -> HallNode:
        """The queue's tables in the node's database (made by :mod:`.site`), once."""
        engine = create_engine(f"sqlite:///{path}")
        if inspect(engine).has_table(settings_table.name):
            engine.dispose()
            raise ValidationProblem("本地节点已配对 / this node is already paired", field="path")
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                insert(settings_table),
                [{"name": k, "value": str(v)} for k, v in dataclasses.asdict(pairing).items()],
            )
        engine.dispose()
        path.chmod(0o600)  # the node's key is in it
        return cls(path)

    def enqueue(self) -> int:
        """Queue the counter's confirmed receipts not queued yet; how many joined."""
        r = CounterReceipt.__table__.c
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(
                    r.receipt_no,
                    r.request_key,
                    r.account_no,
                    r.amount,
                    r.method,
                    r.bill_id,
                    r.card_voucher,
                    r.cashier_name,
                    r.checker_name,
                    r.recorded_at,
                )
                .where(
                    r.status == ReceiptStatus.CONFIRMED,
                    r.receipt_no.not_in(select(entries_table.c.receipt_no)),
                )
                .order_by(r.receipt_no)
            ).all()
            for row in rows:
                body = {
                    "key": row.request_key,
                    "receipt_no": row.receipt_no,
                    "account_no": row.account_no,
                    "amount": str(row.amount),
                    "method": CounterMethod(row.method).value,
                    "bill_id": row.bill_id,
                    "card_voucher": row.card_voucher,
                    "cashier": row.cashier_name,
                    "checker": row.checker_name,
                    "taken_at": row.recorded_at.isoformat(),
                }
                conn.execute(
                    insert(entries_table).values(
                        receipt_no=row.receipt_no,
                        entry_key=row.request_key,
                        body=json.dumps(body),
                        status="queued",
                    )
                )
        return len(rows)

    def pending(self) -> int:
        """Receipts still waiting here: queued for the server, or for their checker."""
        r = CounterReceipt.__table__.c
        with self.engine.connect() as conn:
            waiting = conn.execute(
                select(func.count()).where(r.status == ReceiptStatus.RECORDED)
            ).scalar_one()
            queued = conn.execute(
                select(func.count()).where(entries_table.c.status == "queued")
            ).scalar_one()
        return int(waiting) + int(queued)

    def queued(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(entries_table.c.body)
                .where(entries_table.c.status == "queued")
                .order_by(entries_table.c.receipt_no)
            ).scalars()
            return [json.loads(b) for b in rows]

    def entries(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(entries_table).order_by(entries_table.c.receipt_no))
            return [dict(r._mapping) for r in rows]

    def sealed_batch(self) -> dict[str, str] | None:
        """The queue sealed under a fresh batch key (never reused, even after a lost answer)."""
        self.enqueue()
        queued = self.queued()
        if not queued:
            return None
        batch_key = f"ob-{secrets.token_hex(16)}"
        sent_at = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        key = sealing.decode_key(self.pairing.key)
        return {
            "node": self.pairing.node,
            "batch_key": batch_key,
            "sent_at": sent_at,
            "sealed": sealing.seal(key, self.pairing.node, batch_key, sent_at, queued),
        }

    def record_answers(self, results: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            for r in results:
                conn.execute(
                    update(entries_table)
                    .where(
                        entries_table.c.entry_key == r["key"], entries_table.c.status == "queued"
                    )
                    .values(status=r["status"], answer=(r.get("message") or "")[:400])
                )

    def sync(
        self, client: httpx.Client, headers: dict[str, str], batch: dict[str, str] | None = None
    ) -> list[dict[str, Any]] | None:
        """Send the queue (or ``batch``, sealed a moment ago); ``None`` while the link is
        down (the queue stays as it was)."""
        batch = batch or self.sealed_batch()
        if batch is None:
            return []
        try:
            answer = client.post(SYNC_PATH, json=batch, headers=headers)
        except httpx.TransportError:
            return None
        answer.raise_for_status()
        results: list[dict[str, Any]] = answer.json()["results"]
        self.record_answers(results)
        return results
