"""Key rotation and re-encryption (DATA-2), without downtime.

``do_rotate_key`` makes a fresh data key the active version (audited, committed at once so
every process starts writing under it). ``reencrypt`` then walks every encrypted column
in primary-key batches, each batch its own short transaction, so the system keeps serving
while it runs: until a row is rewritten its old version still decrypts. A row changed by
the application in the meantime is left alone (the update compares the old ciphertext),
because the application wrote it under the new key anyway. The same walk encrypts legacy
plaintext rows (databases upgraded from 0002) and fills missing blind-index companions.
This process reads and writes the database; the cryptography of each batch runs in
``reencryption`` (in worker processes when asked, ADR 0014).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Column, Engine, String, Table, bindparam, func, select, type_coerce, update

from safegrid.platform.db import Base
from safegrid.platform.uow import UnitOfWork
from safegrid.security import key_store
from safegrid.security.fields import (
    SEARCHABLE_SUFFIX,
    EncryptedString,
    is_encrypted,
    is_legacy_plaintext,
)
from safegrid.security.keyring import KeyRing
from safegrid.security.reencryption import ColumnWork, Keys, Plans, rewrite, workers
from safegrid.security.sm4 import FieldCipher

PLAINTEXT = "plaintext"  # the "version" of legacy rows in status counts


@dataclasses.dataclass(frozen=True)
class Target:
    table: Table
    pk: Column[Any]
    columns: tuple[Column[Any], ...]

    def companion(self, col: Column[Any]) -> Column[Any] | None:
        return (
            self.table.c.get(col.name + SEARCHABLE_SUFFIX) if col.info.get("searchable") else None
        )


def targets() -> list[Target]:
    out = []
    for table in Base.metadata.sorted_tables:
        cols = tuple(c for c in table.columns if is_encrypted(c))
        if cols:
            (pk,) = table.primary_key.columns  # every encrypted table has a one-column key
            out.append(Target(table, pk, cols))
    return out


def _raw(col: Column[Any]) -> Any:
    # The stored text itself: no decryption on read, no encryption on write.
    return type_coerce(col, String())


def _field(col: Column[Any]) -> str:
    assert isinstance(col.type, EncryptedString)
    return col.type.field


def do_rotate_key(uow: UnitOfWork, ring: KeyRing, master: bytes) -> tuple[int | None, int]:
    with uow:
        previous, version = key_store.add_version(uow.session.connection(), master)
        uow.audit(
            "keys.rotate",
            object_type="data_key",
            object_id=version,
            before={"active_version": previous},
            after={"active_version": version},
            note="new data key active; re-encryption of stored values follows in batches",
        )
        uow.commit()
    ring.reload()
    return previous, version


@dataclasses.dataclass
class ReencryptResult:
    active_version: int
    rows_seen: int = 0
    values_rewritten: int = 0
    legacy_encrypted: int = 0
    indexes_filled: int = 0
    skipped_concurrent: int = 0
    per_table: dict[str, int] = dataclasses.field(default_factory=dict)


def total_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            int(conn.scalar(select(func.count()).select_from(t.table)) or 0) for t in targets()
        )


def reencrypt(
    engine: Engine,
    ring: KeyRing,
    *,
    batch_size: int = 1000,
    processes: int = 1,
    progress: Callable[[int], None] = lambda _n: None,
) -> ReencryptResult:
    """Rewrite every value not under the active version; one transaction per batch.

    With ``processes > 1`` the cryptography of each batch runs in a worker process while
    this one reads the next batches and writes finished ones, in order; a batch is
    committed (and reported to ``progress``) as soon as its worker returns, so an
    interrupted run keeps every committed batch and a new run carries on from there."""
    cipher = ring.reload()
    result = ReencryptResult(cipher.active)
    keys = Keys(
        cipher,
        {
            _field(c): ring.index_key(_field(c))
            for t in targets()
            for c in t.columns
            if t.companion(c) is not None
        },
    )
    in_flight = 2 * max(processes, 1)  # enough to keep every worker busy while we write
    with workers(processes) as pool:
        for target in targets():
            rewritten = 0
            queue: deque[tuple[int, Future[Plans]]] = deque()
            for batch in _batches(engine, target, batch_size):
                result.rows_seen += len(batch)
                work = _work(target, batch, cipher.head(), result)
                queue.append((len(batch), pool.submit(rewrite, keys, work)))
                while len(queue) >= in_flight or (queue and queue[0][1].done()):
                    rewritten += _commit(engine, target, queue.popleft(), result, progress)
            while queue:
                rewritten += _commit(engine, target, queue.popleft(), result, progress)
            result.per_table[target.table.name] = rewritten
            result.values_rewritten += rewritten
    return result


def _commit(
    engine: Engine,
    target: Target,
    item: tuple[int, Future[Plans]],
    result: ReencryptResult,
    progress: Callable[[int], None],
) -> int:
    rows, future = item
    plans = future.result()
    rewritten = 0
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        for col in target.columns:
            params = plans.get(col.name)
            if params:
                done = conn.execute(_cas_update(target, col), params).rowcount
                result.skipped_concurrent += len(params) - done
                rewritten += done
    progress(rows)
    return rewritten


def _batches(engine: Engine, target: Target, size: int) -> Iterator[list[Any]]:
    cols = [target.pk, *(_raw(c).label(c.name) for c in target.columns)]
    cols += [
        companion.label(companion.name)
        for c in target.columns
        if (companion := target.companion(c)) is not None
    ]
    last: Any = None
    while True:
        stmt = select(*cols).order_by(target.pk).limit(size)
        if last is not None:
            stmt = stmt.where(target.pk > last)
        with engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        if not rows:
            return
        last = rows[-1][target.pk.name]
        yield list(rows)


def _work(target: Target, rows: list[Any], head: str, result: ReencryptResult) -> list[ColumnWork]:
    """The values of a batch that need the workers: not under the active key (``head``),
    legacy plaintext, or missing their blind index. Deciding here keeps a resumed run from
    shipping values that are already done."""
    work = []
    for col in target.columns:
        companion = target.companion(col)
        todo = []
        for row in rows:
            stored = row[col.name]
            if stored is None:
                continue
            needs_index = companion is not None and row[companion.name] is None
            if stored.startswith(head) and not needs_index:
                continue
            result.legacy_encrypted += is_legacy_plaintext(stored)
            result.indexes_filled += needs_index
            todo.append((row[target.pk.name], stored))
        if todo:
            work.append(ColumnWork(col.name, _field(col), companion is not None, todo))
    return work


def _cas_update(target: Target, col: Column[Any]) -> Any:
    values: dict[str, Any] = {col.name: bindparam("b_new", type_=String())}
    companion = target.companion(col)
    if companion is not None:
        values[companion.name] = bindparam("b_idx", type_=String())
    return (
        update(target.table)
        .where(target.pk == bindparam("b_pk"), _raw(col) == bindparam("b_old", type_=String()))
        .values(values)
    )


def do_record_reencryption(uow: UnitOfWork, result: ReencryptResult) -> None:
    """The one summary audit entry of a re-encryption run (bulk work: never per row)."""
    with uow:
        uow.audit(
            "keys.reencrypt",
            object_type="data_key",
            object_id=result.active_version,
            after=dataclasses.asdict(result),
        )
        uow.commit()


def version_counts(engine: Engine) -> dict[str, Counter[str]]:
    """Stored values per key version, per ``table.column`` (legacy rows as ``plaintext``)."""
    out: dict[str, Counter[str]] = {}
    with engine.connect() as conn:
        for target in targets():
            for col in target.columns:
                counts: Counter[str] = Counter()
                stmt = select(_raw(col)).where(col.is_not(None))
                for (stored,) in conn.execution_options(yield_per=5000).execute(stmt):
                    counts[
                        PLAINTEXT
                        if is_legacy_plaintext(stored)
                        else str(FieldCipher.version_of(stored))
                    ] += 1
                out[_field(col)] = counts
    return out
