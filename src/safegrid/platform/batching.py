"""Group commit: one thread per process runs what its callers queued in batches, and each
caller waits for its own answer (ADR 0010, ADR 0045).

Callers from the event loop await the future (no thread held while waiting); callers in a
worker thread or on the command line block on it. Items are grouped by ``key`` (the
database they go to, by identity), so a process serving two platforms — tests do — never mixes them.
What a batch does with its items, and what each caller hears when the whole batch fails,
is the user's: ``work`` returns one answer per item (a value, or an exception to hand
back), ``fallback`` turns a failure of ``work`` itself into every caller's answer.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K")
I = TypeVar("I")  # noqa: E741 - the item, as K is the key and A the answer
A = TypeVar("A")


@dataclasses.dataclass
class _Waiting(Generic[K, I, A]):
    key: K
    item: I
    future: concurrent.futures.Future[A]


class Batcher(Generic[K, I, A]):
    """Hands queued items to ``work`` in batches of up to ``max_size`` from one thread."""

    def __init__(
        self,
        name: str,
        max_size: int,
        work: Callable[[K, Sequence[I]], Sequence[A]],
        fallback: Callable[[BaseException], A],
        linger: float = 0.0,
    ) -> None:
        self.name = name
        self.max_size = max(1, max_size)
        self._work = work
        self._fallback = fallback
        self.linger = linger
        self._queue: queue.SimpleQueue[_Waiting[K, I, A]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, key: K, item: I) -> concurrent.futures.Future[A]:
        future: concurrent.futures.Future[A] = concurrent.futures.Future()
        self._queue.put(_Waiting(key, item, future))
        self._ensure_thread()
        return future

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def _take(self) -> list[_Waiting[K, I, A]]:
        batch = [self._queue.get()]
        if self.linger:
            # A moment for the event loop to hand over what is arriving: fewer, fuller
            # transactions under load, for a couple of milliseconds of latency.
            time.sleep(self.linger)
        while len(batch) < self.max_size:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            # By identity: a platform is a mutable dataclass, and equal settings would not
            # make two databases one.
            by_key: dict[int, list[_Waiting[K, I, A]]] = {}
            for w in self._take():
                by_key.setdefault(id(w.key), []).append(w)
            for group in by_key.values():
                self._apply(group[0].key, group)

    def _apply(self, key: K, group: list[_Waiting[K, I, A]]) -> None:
        try:
            answers: Sequence[A] = self._work(key, [w.item for w in group])
        except Exception as exc:  # every caller hears the fallback; the thread lives
            log.exception("%s: batch of %d failed", self.name, len(group))
            answers = [self._fallback(exc) for _ in group]
        for w, answer in zip(group, answers, strict=True):
            w.future.set_result(answer)
