"""Delivers the callbacks the gateway owes, again and again until acknowledged.

A background thread picks due deliveries from the store and POSTs each (form-encoded, as
the real channels do) from a small pool of workers. Every attempt is recorded before the
next is planned, so a restart of the gateway resumes exactly where it stopped; SafeGrid
may see a callback twice (e.g. killed after committing but before answering) and must
treat the repeat as a no-op.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from safegrid_sandbox.gateway.core import SandboxGateway
from safegrid_sandbox.gateway.store import Delivery

log = logging.getLogger(__name__)

# (url, form) -> (HTTP status, body); raises httpx.HTTPError when nothing came back.
Sender = Callable[[str, dict[str, str]], tuple[int, str]]


def http_sender(timeout: float = 10.0, pool: int = 32) -> Sender:
    client = httpx.Client(
        timeout=timeout, limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    )

    def send(url: str, form: dict[str, str]) -> tuple[int, str]:
        resp = client.post(url, data=form)
        return resp.status_code, resp.text

    return send


def attempt(gateway: SandboxGateway, delivery: Delivery, notify_url: str, send: Sender) -> bool:
    form: dict[str, str] = json.loads(delivery.body)
    try:
        status, body = send(notify_url, form)
    except Exception as exc:
        gateway.record(delivery, status=None, body=None, error=f"{type(exc).__name__}: {exc}")
        return False
    return gateway.record(delivery, status=status, body=body, error=None)


def deliver_due(
    gateway: SandboxGateway, notify_url: str, send: Sender, *, limit: int = 1000
) -> int:
    """One synchronous pass over what is due (tests drive delivery with this)."""
    done = 0
    for delivery in gateway.store.claim_due(time.time(), limit, set()):
        done += attempt(gateway, delivery, notify_url, send)
    return done


class Notifier:
    def __init__(
        self,
        gateway: SandboxGateway,
        notify_url: str,
        *,
        workers: int = 16,
        send: Sender | None = None,
        poll: float = 0.05,
    ) -> None:
        self.gateway = gateway
        self.notify_url = notify_url
        self.send: Sender = send or http_sender(pool=workers * 2)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify")
        self._workers = workers
        self._poll = poll
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """A payment was just made: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                busy = set(self._in_flight)
            room = self._workers * 4 - len(busy)
            due = self.gateway.store.claim_due(time.time(), room, busy) if room > 0 else []
            for delivery in due:
                with self._lock:
                    self._in_flight.add(delivery.trade_no)
                self._pool.submit(self._one, delivery)
            if not due:
                self._wake.wait(self._poll)
                self._wake.clear()
            elif room <= len(due):
                time.sleep(0.005)  # the pool is full; let it drain a little

    def _one(self, delivery: Delivery) -> None:
        try:
            attempt(self.gateway, delivery, self.notify_url, self.send)
        except Exception:  # the store failing must not kill the worker
            log.exception("delivery %s failed to record", delivery.trade_no)
        finally:
            with self._lock:
                self._in_flight.discard(delivery.trade_no)
