"""The callback inbox's applier as a process of its own next to ``safegrid serve``
(ADR 0013).

Why a process: acknowledging a callback is the latency-critical half — the channel is
waiting — and it must keep the CPU under load; applying it to the ledger can lag by a
few seconds. In one Python process the two would share one interpreter lock; as separate
processes the kernel schedules them. The applier runs at the server's own priority (ADR
0020): at the lowest one (nice 19, ADR 0013) it ran only on CPU nobody else wanted, so on a
busy host the ledger fell behind without bound while the door kept saying ``success``. The applier dies with the server (PR_SET_PDEATHSIG) and
is restarted if it exits on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

from safegrid.payments.online.settings import get_channel_settings

log = logging.getLogger(__name__)

ENV = "SAFEGRID_PAY_INBOX_APPLIER"
NICE = 0  # ``--nice`` stays for operators who want the ledger to yield
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _command() -> list[str]:
    return [
        sys.executable,
        "-c",
        "from safegrid.cli import main; main()",
        "payments",
        "inbox",
        "apply",
        "--follow",
        "--nice",
        str(NICE),
    ]


@contextlib.contextmanager
def applier_process() -> Iterator[subprocess.Popen[bytes] | None]:
    """Run the applier next to the server unless SAFEGRID_PAY_INBOX_APPLIER names another
    arrangement ("thread": each server process applies; "none": nobody does). The server's
    own processes are told not to apply (one applier, off the request path)."""
    if ENV in os.environ:
        yield None
        return
    os.environ[ENV] = "process"  # inherited by uvicorn's worker processes
    get_channel_settings.cache_clear()
    stopping = threading.Event()
    current: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        # A fixed argv: this interpreter running our own CLI.
        proc = subprocess.Popen(_command(), preexec_fn=_die_with_parent)  # noqa: S603
        current[:] = [proc]
        return proc

    def watch() -> None:
        while not stopping.is_set():
            code = current[0].wait()
            if stopping.is_set():
                return
            log.error("callback inbox applier exited (%s); restarting", code)
            if stopping.wait(1.0):
                return
            start()

    start()
    watcher = threading.Thread(target=watch, name="inbox-applier-watch", daemon=True)
    watcher.start()
    try:
        yield current[0]
    finally:
        stopping.set()
        proc = current[0]
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
