"""Bill runs started from the console run in a worker thread, so the page can show their
progress while they work (htmx polls :func:`current`).

The run itself is one transaction, invisible to other sessions until it commits, so its
progress lives here, in the process that runs it, keyed by the staff account that
started it; the committed ``BillRun`` row is the record once it is done.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import datetime

from safegrid.billing.services import do_run_bills
from safegrid.bootstrap import Platform
from safegrid.platform import clock
from safegrid.platform.errors import SafeGridError
from safegrid.security.actor import Actor

log = logging.getLogger(__name__)


@dataclasses.dataclass
class RunTracker:
    period: str
    started_at: datetime
    phase: str = "load"
    done: int = 0
    total: int = 0
    finished: bool = False
    run_id: int | None = None
    bills_created: int = 0
    error: str | None = None

    def update(self, phase: str, done: int, total: int) -> None:
        self.phase, self.done, self.total = phase, done, total

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        weights = {"load": (0, 20), "compute": (20, 10), "write": (30, 70)}
        start, span = weights.get(self.phase, (0, 0))
        return start + (span * self.done // self.total if self.total else 0)


_lock = threading.Lock()
_runs: dict[str, RunTracker] = {}


def current(actor: Actor) -> RunTracker | None:
    with _lock:
        return _runs.get(actor.username)


def start(platform: Platform, actor: Actor, period: str, due_days: int) -> RunTracker:
    """Start a run for ``actor`` unless one of theirs is still running (that one is
    returned: a double click does not start two)."""
    with _lock:
        running = _runs.get(actor.username)
        if running is not None and not running.finished:
            return running
        tracker = RunTracker(period=period, started_at=clock.now())
        _runs[actor.username] = tracker

    def work() -> None:
        try:
            result = do_run_bills(
                platform.uow(actor), period, due_days=due_days, progress=tracker.update
            )
            tracker.run_id, tracker.bills_created = result.id, result.bills_created
        except SafeGridError as exc:
            tracker.error = exc.message
        except Exception:  # recorded as a failed run by the service; never kill the server
            log.exception("background bill run for %s failed", period)
            tracker.error = "出账失败，详见出账批次记录 / the run failed; see the run list"
        finally:
            tracker.finished = True

    threading.Thread(target=work, name=f"bill-run-{period}", daemon=True).start()
    return tracker
