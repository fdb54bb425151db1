"""The cryptographic half of a re-encryption batch, and the worker processes that run it
(DATA-2, ADR 0014).

``key_rotation`` reads a batch of stored values, decides which need work, and hands them
here as :class:`ColumnWork`; :func:`rewrite` decrypts them, seals them under the active
key and computes their blind indexes — all of it OpenSSL through `cryptography`. With
``processes > 1`` batches run in a process pool while the parent keeps reading and
writing the database, so OpenSSL's per-value context set-up (the cost of SM4-GCM through
`cryptography`) is spread over the cores instead of hand-written cipher code.

This module imports no database code: a spawned worker loads only the cipher.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from safegrid.security import blind_index as bidx
from safegrid.security.sm4 import PREFIX, FieldCipher

SEALED = PREFIX + "$"  # legacy plaintext rows (databases from before 0003) lack it
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Keys:
    """What a worker needs: the data keys (every version, the active one named) and the
    blind-index keys of the searchable fields. Travels to our own worker processes over
    their pipe; never written anywhere."""

    cipher: FieldCipher
    index_keys: Mapping[str, bytes]


@dataclass(frozen=True)
class ColumnWork:
    """Stored values of one column that are not yet under the active key (or lack their
    blind index), with their row keys."""

    column: str
    field: str
    searchable: bool
    rows: Sequence[tuple[Any, str]]  # (primary key, stored value)


Plans = dict[str, list[dict[str, Any]]]  # column name → update parameters


def rewrite(keys: Keys, work: Sequence[ColumnWork]) -> Plans:
    """Update parameters per column: ``b_pk``, ``b_old`` (the compare-and-set guard),
    ``b_new`` and, for searchable columns, ``b_idx``."""
    cipher = keys.cipher
    head = cipher.head()
    out: Plans = {}
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
        fresh = dict(
            zip(stale, cipher.encrypt_many([plain[i] for i in stale], col.field), strict=True)
        )
        index_key = keys.index_keys[col.field] if col.searchable else b""
        params = []
        for i, (pk, stored) in enumerate(col.rows):
            param = {"b_pk": pk, "b_old": stored, "b_new": fresh.get(i, stored)}
            if col.searchable:
                param["b_idx"] = bidx.blind_index(index_key, plain[i])
            params.append(param)
        out[col.column] = params
    return out


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
    """``processes`` worker processes (spawned: they inherit no database connections),
    or the calling process alone for 1."""
    if processes <= 1:
        yield _InProcess()
        return
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
