"""Shared pieces of the relay tests: a probe event, a recording subscriber, emitting."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence

from safegrid.bootstrap import Platform
from safegrid.platform.events import Event, EventRecord
from safegrid.security.actor import Actor


@dataclasses.dataclass(frozen=True)
class RelayProbed(Event):
    n: int


class Recorder:
    """A subscriber remembering every record it was handed (thread-safe); ``fail`` decides
    per batch whether to raise instead."""

    def __init__(
        self, fail: Callable[[Sequence[EventRecord]], bool] | None = None, delay: float = 0.0
    ) -> None:
        self.records: list[EventRecord] = []
        self.delay = delay
        self.calls: list[int] = []  # batch sizes
        self.fail = fail
        self._lock = threading.Lock()

    def __call__(self, records: Sequence[EventRecord]) -> None:
        with self._lock:
            self.calls.append(len(records))
        if self.delay:
            time.sleep(self.delay)  # a subscriber doing real work: relays overlap in time
        if self.fail is not None and self.fail(records):
            raise RuntimeError("subscriber is down")
        with self._lock:
            self.records.extend(records)

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.records]


def emit_probes(platform: Platform, count: int, start: int = 0) -> None:
    with platform.uow(Actor.system("tests", "job")) as uow:
        uow.emit_many([RelayProbed(n=start + i) for i in range(count)])
        uow.audit("test.probes", object_type="test", after={"count": count})
        uow.commit()
