"""The hall's local node (OPS-6): while the hall is cut off from the server, the counter
takes payments here, on an embedded SQLite file next to the counter.

The node checks each payment with the counter's own rules (amount, card slip), numbers it
from the hall's offline series — gapless, the serial taken in the payment's own
transaction exactly as :mod:`safegrid.payments.counter.receipts` does on the server — and
keeps dual control: a cashier takes the money and a different checker counts it before
the receipt exists. Each entry gets a random key that is its idempotency key on the server
(the counter receipt's ``request_key``). When the link returns the queue goes up sealed
with the node's SM4 key under a fresh batch key (:mod:`.sealing`); an entry leaves the
queue only when the server answered it.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from safegrid.payments.counter import receipts
from safegrid.payments.counter.models import CounterMethod
from safegrid.payments.counter.schemas import PaymentIn
from safegrid.payments.counter.services import check_counter_amount
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.secops.offline import sealing

SYNC_PATH = "/api/counter/offline/sync"
meta = MetaData()
settings_table = Table(
    "node_settings", meta, Column("name", String(32), primary_key=True), Column("value", String)
)
counter_table = Table(
    "node_counter",
    meta,
    Column("business_day", String(8), primary_key=True),
    Column("last_serial", Integer, nullable=False),
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
        if path.exists():
            raise ValidationProblem(
                "本地节点文件已存在 / the node file already exists", field="path"
            )
        engine = create_engine(f"sqlite:///{path}")
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                insert(settings_table),
                [{"name": k, "value": str(v)} for k, v in dataclasses.asdict(pairing).items()],
            )
        engine.dispose()
        path.chmod(0o600)  # the node's key is in it
        return cls(path)

    def take(
        self,
        *,
        account_no: str,
        amount: Decimal,
        cashier: str,
        checker: str,
        counted: Decimal,
        method: CounterMethod = CounterMethod.CASH,
        bill_id: int | None = None,
        card_voucher: str | None = None,
    ) -> str:
        """收款 offline: the receipt number given to the customer."""
        key = f"off-{secrets.token_hex(16)}"
        # The counter's own checks (amount, slip) through its own input model.
        data = PaymentIn(
            account_no=account_no,
            amount=amount,
            method=method,
            request_key=key,
            bill_id=bill_id,
            card_voucher=card_voucher,
        )
        check_counter_amount(data.amount)
        if method == CounterMethod.CARD and not (card_voucher or "").strip():
            raise ValidationProblem(
                "刷卡须填写POS凭证号 / a card payment needs the POS slip reference",
                field="card_voucher",
            )
        if not cashier or not checker or cashier == checker:
            raise ValidationProblem(
                "离线收款须收费员与另一名复核员共同签字 / an offline payment "
                "needs a cashier and a different checker",
                field="checker",
            )
        if counted != amount:
            raise ValidationProblem(
                f"清点金额 {counted} 与收款金额 {amount} 不符 / the counted "
                f"amount differs from {amount}",
                field="counted",
            )
        now = clock.now()
        day = clock.business_day()
        with self.engine.begin() as conn:
            serial = self._next_serial(conn, f"{day:%Y%m%d}")
            number = str(receipts.ReceiptNumber(self.pairing.hall_prefix, day, serial))
            body = {
                **data.model_dump(mode="json", exclude={"request_key", "hall_id"}),
                "key": key,
                "receipt_no": number,
                "cashier": cashier,
                "checker": checker,
                "taken_at": now.isoformat(),
            }
            conn.execute(
                insert(entries_table).values(
                    receipt_no=number, entry_key=key, body=json.dumps(body), status="queued"
                )
            )
        return number

    def _next_serial(self, conn: Connection, day: str) -> int:
        row = conn.execute(
            update(counter_table)
            .where(counter_table.c.business_day == day)
            .values(last_serial=counter_table.c.last_serial + 1)
            .returning(counter_table.c.last_serial)
        ).first()
        if row is None:
            first = receipts.OFFLINE_FIRST_SERIAL
            conn.execute(insert(counter_table).values(business_day=day, last_serial=first))
            return first
        if int(row[0]) > receipts.MAX_SERIAL:
            raise ValidationProblem(
                "离线收据号已用完 / the offline receipt numbers are used up", field="receipt_no"
            )
        return int(row[0])

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
