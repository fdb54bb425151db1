"""Re-encryption batches (DATA-2, ADR 0014): one batch reads a primary-key range of one
table, decrypts what is not under the active key, seals it again and recomputes missing
blind indexes — all of it OpenSSL through `cryptography` — and writes it back in its own
compare-and-set transaction.

``key_rotation.reencrypt`` hands batches to :func:`workers`: the calling process alone, or
a pool of spawned processes, each with its own database connection, so a batch's reading,
cryptography and writing all happen in its worker and the parent only hands out key
ranges. OpenSSL's per-value context set-up (the cost of SM4-GCM through `cryptography`)
is spread over idle cores instead of being avoided with hand-written cipher code.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    Column,
    Engine,
    String,
    Table,
    bindparam,
    case,
    or_,
    select,
    type_coerce,
    update,
)

from safegrid.platform.db import Base, make_engine
from safegrid.security import blind_index as bidx
from safegrid.security.fields import SEARCHABLE_SUFFIX, EncryptedString, is_encrypted
from safegrid.security.sm4 import PREFIX, FieldCipher

SEALED = PREFIX + "$"  # legacy plaintext rows (databases from before 0003) lack it
P = ParamSpec("P")
T = TypeVar("T")


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
    from safegrid import tables  # noqa: F401 - every table, also in a fresh worker process

    out = []
    for table in Base.metadata.sorted_tables:
        cols = tuple(c for c in table.columns if is_encrypted(c))
        if cols:
            (pk,) = table.primary_key.columns  # every encrypted table has a one-column key
            out.append(Target(table, pk, cols))
    return out


def raw(col: Column[Any]) -> Any:
    """The stored text itself: no decryption on read, no encryption on write."""
    return type_coerce(col, String())


def field_of(col: Column[Any]) -> str:
    assert isinstance(col.type, EncryptedString)
    return col.type.field


@dataclasses.dataclass(frozen=True)
class Keys:
    """What a batch needs: the data keys (every version, the active one named) and the
    blind-index keys of the searchable fields. Travels to our own worker processes over
    their pipe; never written anywhere."""

    cipher: FieldCipher
    index_keys: Mapping[str, bytes]


@dataclasses.dataclass(frozen=True)
class ColumnWork:
    """Stored values of one column that need work, with their row keys."""

    column: str
    field: str
    searchable: bool
    rows: Sequence[tuple[Any, str]]  # (primary key, stored value)


Rewrites = dict[Any, dict[str, tuple[str, str | None]]]  # pk → column → (new, index)


def rewrite(keys: Keys, work: Sequence[ColumnWork]) -> Rewrites:
    """The new stored value (and blind index, for searchable columns) of every value in
    ``work``, by row."""
    cipher = keys.cipher
    head = cipher.head()
    out: Rewrites = {}
    for col in work:
        legacy = [not stored.startswith(SEALED) for _pk, stored in col.rows]
        sealed = [stored for (_pk, stored), old in zip(col.rows, legacy, strict=True) if not old]
        opened = iter(cipher.decrypt_many(sealed, col.field))
        plain = [
            stored if old else next(opened)
            for (_pk, stored), old in zip(col.rows, legacy, strict=True)
        ]
        # A value already under the active key is here only for its missing blind index.
        stale = [i for i, (_pk, stored) in enumerate(col.rows) if not stored.startswith(head)]
        resealed = cipher.encrypt_many([plain[i] for i in stale], col.field)
        fresh = dict(zip(stale, resealed, strict=True))
        index_key = keys.index_keys[col.field] if col.searchable else b""
        for i, (pk, stored) in enumerate(col.rows):
            index = bidx.blind_index(index_key, plain[i]) if col.searchable else None
            out.setdefault(pk, {})[col.column] = (fresh.get(i, stored), index)
    return out


@dataclasses.dataclass(frozen=True)
class Batch:
    table: str
    first: Any  # primary keys, inclusive
    last: Any


@dataclasses.dataclass
class BatchResult:
    table: str
    rows: int = 0
    rewritten: int = 0
    legacy: int = 0
    indexes_filled: int = 0
    skipped_concurrent: int = 0


_engines: dict[str, Engine] = {}  # a worker process's own engine per database


def run_batch(database: Engine | str, keys: Keys, batch: Batch) -> BatchResult:
    """Re-encrypt one batch and commit it. ``database`` is the caller's engine, or (in a
    worker process) the URL to open one from."""
    if isinstance(database, str):
        database = _engines.get(database) or _engines.setdefault(database, make_engine(database))
    target = next(t for t in targets() if t.table.name == batch.table)
    result = BatchResult(batch.table)
    rows = _read(database, target, batch)
    result.rows = len(rows)
    work = _work(target, rows, keys.cipher.head(), result)
    if not work:
        return result
    stored = {row[target.pk.name]: row for row in rows}
    new = rewrite(keys, work)
    params = [_row_params(target, pk, stored[pk], cols) for pk, cols in new.items()]
    with database.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        conn.execute(_cas_update(target), params)
        # Count what landed: a value a concurrent writer changed kept the writer's value.
        after = {
            row[target.pk.name]: row for row in conn.execute(_select(target, batch)).mappings()
        }
        for pk, cols in new.items():
            for name, (value, _index) in cols.items():
                landed = pk in after and after[pk][name] == value
                result.rewritten += landed
                result.skipped_concurrent += not landed
    return result


def _select(target: Target, batch: Batch) -> Any:
    cols = [target.pk, *(raw(c).label(c.name) for c in target.columns)]
    cols += [
        companion.label(companion.name)
        for c in target.columns
        if (companion := target.companion(c)) is not None
    ]
    return select(*cols).where(target.pk.between(batch.first, batch.last))


def _read(engine: Engine, target: Target, batch: Batch) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(_select(target, batch)).mappings())


def _work(target: Target, rows: list[Any], head: str, result: BatchResult) -> list[ColumnWork]:
    """The values that need work: not under the active key (``head``), legacy plaintext,
    or missing their blind index. A resumed run finds the done ones and skips them."""
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
            result.legacy += not stored.startswith(SEALED)
            result.indexes_filled += needs_index
            todo.append((row[target.pk.name], stored))
        if todo:
            work.append(ColumnWork(col.name, field_of(col), companion is not None, todo))
    return work


def _row_params(
    target: Target, pk: Any, row: Any, new: dict[str, tuple[str, str | None]]
) -> dict[str, Any]:
    params: dict[str, Any] = {"b_pk": pk}
    for col in target.columns:
        value, index = new.get(col.name, (None, None))
        # A NULL guard never matches: the column keeps its value.
        params[f"o_{col.name}"] = row[col.name] if col.name in new else None
        params[f"n_{col.name}"] = value
        params[f"i_{col.name}"] = index
    return params


def _cas_update(target: Target) -> Any:
    """One statement per row for all its encrypted columns (one new row version, not one
    per column), each column compare-and-set on its own: a value the application changed
    meanwhile was written under the new key already and is kept (a NULL guard never
    matches, so a column with nothing to do keeps its value too)."""
    values: dict[str, Any] = {}
    guards = []
    for col in target.columns:
        hit = raw(col) == bindparam(f"o_{col.name}", type_=String())
        guards.append(hit)
        values[col.name] = case((hit, bindparam(f"n_{col.name}", type_=String())), else_=raw(col))
        companion = target.companion(col)
        if companion is not None:
            values[companion.name] = case(
                (hit, bindparam(f"i_{col.name}", type_=String())), else_=companion
            )
    return update(target.table).where(target.pk == bindparam("b_pk"), or_(*guards)).values(values)


class _InProcess(Executor):
    """One process: each batch runs in the caller, when submitted."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as exc:
            done.set_exception(exc)
        return done


@contextmanager
def workers(processes: int) -> Iterator[Executor]:
    """``processes`` worker processes (spawned: they inherit no database connections and
    open their own), or the calling process alone for 1."""
    if processes <= 1:
        yield _InProcess()
        return
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
