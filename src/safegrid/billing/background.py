"""Bill runs started from the console run in a worker thread, so the page can show their
progress while they work; htmx polls :func:`current`, which reads the progress row the run
commits (:mod:`safegrid.billing.run_progress`), so any server process can answer the poll.
The committed ``BillRun`` row is the record once the run is done.
"""

from __future__ import annotations

import logging
import threading

from safegrid.billing.run_progress import Heartbeat, RunProgress, close_run, open_run
from safegrid.billing.run_progress import current as _current
from safegrid.billing.services import do_run_bills
from safegrid.bootstrap import Platform
from safegrid.platform.errors import SafeGridError
from safegrid.security.actor import Actor

log = logging.getLogger(__name__)

FAILED = "出账失败，详见出账批次记录 / the run failed; see the run list"


def current(platform: Platform, actor: Actor) -> RunProgress | None:
    return _current(platform.uow(actor, readonly=True))


def start(platform: Platform, actor: Actor, period: str, due_days: int) -> RunProgress:
    """Start a run for ``actor`` unless one of theirs is still running (that one is
    returned: a double click does not start two)."""
    progress, opened = open_run(platform.uow(actor), period)
    if not opened:
        return progress

    def work() -> None:
        run_id, bills, error = None, 0, None
        try:
            result = do_run_bills(
                platform.uow(actor),
                period,
                due_days=due_days,
                progress=Heartbeat(platform.engine, progress.id),
            )
            run_id, bills = result.id, result.bills_created
        except SafeGridError as exc:
            error = exc.message
        except Exception:  # recorded as a failed run by the service; never kill the server
            log.exception("background bill run for %s failed", period)
            error = FAILED
        finally:
            try:
                close_run(platform.uow(actor), progress.id, run_id=run_id, bills=bills, error=error)
            except Exception:
                log.exception("could not close the progress of the bill run for %s", period)

    threading.Thread(target=work, name=f"bill-run-{period}", daemon=True).start()
    return progress
