"""Key rotation and re-encryption (DATA-2), without downtime.

``do_rotate_key`` makes a fresh data key the active version (audited, committed at once so
every process starts writing under it). ``reencrypt`` then walks every encrypted column
in primary-key batches, each batch its own short transaction, so the system keeps serving
while it runs: until a row is rewritten its old version still decrypts. A row changed by
the application in the meantime is left alone (the update compares the old ciphertext),
because the application wrote it under the new key anyway. The same walk encrypts legacy
plaintext rows (databases upgraded from 0002) and fills missing blind-index companions.
The batches themselves (``reencryption``) run in this process or in worker processes
(ADR 0014).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future

from sqlalchemy import Engine, func, select

from safegrid.platform.uow import UnitOfWork
from safegrid.security import key_store
from safegrid.security.fields import is_legacy_plaintext
from safegrid.security.keyring import KeyRing
from safegrid.security.reencryption import (
    Batch,
    BatchResult,
    Keys,
    Target,
    field_of,
    raw,
    run_batch,
    targets,
    workers,
)
from safegrid.security.sm4 import FieldCipher

PLAINTEXT = "plaintext"  # the "version" of legacy rows in status counts


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

    With ``processes > 1`` batches run in that many worker processes (each reading,
    re-encrypting and writing its own) while this one hands out primary-key ranges. A
    batch is committed before ``progress`` hears of it, so an interrupted run keeps every
    committed batch and a new run carries on from there."""
    in_memory = engine.url.get_backend_name() == "sqlite" and engine.url.database in (
        None,
        "",
        ":memory:",
    )
    if processes > 1 and in_memory:
        raise ValueError("an in-memory SQLite database cannot be shared with worker processes")
    cipher = ring.reload()
    result = ReencryptResult(cipher.active)
    keys = Keys(
        cipher,
        {
            field_of(c): ring.index_key(field_of(c))
            for t in targets()
            for c in t.columns
            if t.companion(c) is not None
        },
    )
    # A worker opens its own connection; the URL (with its password) goes over the pipe
    # to our own child process only.
    database = engine if processes <= 1 else engine.url.render_as_string(hide_password=False)
    in_flight = 2 * max(processes, 1)  # enough to keep every worker busy
    queue: deque[Future[BatchResult]] = deque()
    with workers(processes) as pool:
        for target in targets():
            result.per_table[target.table.name] = 0
            for batch in _batches(engine, target, batch_size):
                queue.append(pool.submit(run_batch, database, keys, batch))
                while len(queue) >= in_flight or (queue and queue[0].done()):
                    _add(result, queue.popleft().result(), progress)
        while queue:
            _add(result, queue.popleft().result(), progress)
    return result


def _add(result: ReencryptResult, done: BatchResult, progress: Callable[[int], None]) -> None:
    result.rows_seen += done.rows
    result.values_rewritten += done.rewritten
    result.per_table[done.table] += done.rewritten
    result.legacy_encrypted += done.legacy
    result.indexes_filled += done.indexes_filled
    result.skipped_concurrent += done.skipped_concurrent
    progress(done.rows)


def _batches(engine: Engine, target: Target, size: int) -> Iterator[Batch]:
    """Primary-key ranges of ``size`` rows (keyset over the key's index)."""
    last = None
    while True:
        stmt = select(target.pk).order_by(target.pk).limit(size)
        if last is not None:
            stmt = stmt.where(target.pk > last)
        with engine.connect() as conn:
            keys = conn.scalars(stmt).all()
        if not keys:
            return
        last = keys[-1]
        yield Batch(target.table.name, keys[0], keys[-1])


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
                stmt = select(raw(col)).where(col.is_not(None))
                for (stored,) in conn.execution_options(yield_per=5000).execute(stmt):
                    counts[
                        PLAINTEXT
                        if is_legacy_plaintext(stored)
                        else str(FieldCipher.version_of(stored))
                    ] += 1
                out[field_of(col)] = counts
    return out
