"""The attack shield (OPS-8): a plain ASGI middleware in front of every route that blocks
scanner fingerprints and injection attempts outright, and blocks a network for ten minutes
after a burst of refused requests (401/403/404) or a run through many object ids or pages
(bulk extraction). Each block is logged (an ``attack_events`` row, audited) and alerted
(a key-field-style alert to the managers, once per block), and leaves as an
``AttackBlocked`` event through the outbox.

The windows live in this process's memory, like the risk windows (ADR 0011): several
server processes each count their own share, so a burst spread over N processes needs N
times the threshold. Logging is itself bounded: one row per network, kind and minute.
"""

from __future__ import annotations

import collections
import hashlib
import ipaddress
import threading
import time
import urllib.parse
from functools import lru_cache
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safegrid.secops import shield_rules as rules
from safegrid.secops.activity import network_of


class _Windows:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.denied: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self.ids: dict[str, dict[str, float]] = collections.defaultdict(dict)
        self.blocked: dict[str, float] = {}
        self.logged: dict[tuple[str, str], float] = {}

    def is_blocked(self, network: str, now: float) -> bool:
        with self.lock:
            until = self.blocked.get(network)
            if until is not None and until < now:
                del self.blocked[network]
                return False
            return until is not None

    def block(self, network: str, now: float) -> None:
        with self.lock:
            self.blocked[network] = now + rules.BLOCK_SECONDS

    def deny(self, network: str, now: float) -> bool:
        with self.lock:
            q = self.denied[network]
            q.append(now)
            while q and q[0] < now - rules.WINDOW_SECONDS:
                q.popleft()
            return len(q) > rules.DENIED_BURST

    def touch(self, caller: str, object_key: str, now: float) -> bool:
        with self.lock:
            seen = self.ids[caller]
            seen[object_key] = now
            if len(seen) > rules.EXTRACTION_IDS:
                for key in [k for k, at in seen.items() if at < now - rules.WINDOW_SECONDS]:
                    del seen[key]
            return len(seen) > rules.EXTRACTION_IDS

    def first_log(self, network: str, kind: str, now: float) -> bool:
        with self.lock:
            key = (network, kind)
            if self.logged.get(key, 0) > now - 60:
                return False
            self.logged[key] = now
            return True


WINDOWS = _Windows()


def _caller(scope: Scope, network: str) -> str:
    """The network plus the credential (hashed): one office NAT is many callers."""
    for name, value in scope.get("headers", []):
        if name in (b"authorization", b"cookie"):
            return network + hashlib.sha256(value).hexdigest()[:16]
    return network


def _user_agent(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"user-agent":
            return bytes(value).decode("latin-1")
    return ""


def client_network(scope: Scope) -> str:
    client = scope.get("client")
    host = client[0] if client else None
    try:
        ipaddress.ip_address(host or "")
    except ValueError:
        return "local"  # an in-process client or a Unix socket: no network address
    return network_of(str(host))


class ShieldSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEGRID_", env_file=".env", extra="ignore")

    # Networks the shield lets through unjudged: the utility's own authorised scanners
    # (vulnerability management, a commissioned penetration test, the attack runs of
    # `make test`), which must reach the application's own defences to test them.
    # Comma-separated CIDRs; empty by default.
    shield_exempt_networks: str = ""


@lru_cache
def exempt_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    spec = ShieldSettings().shield_exempt_networks
    return tuple(
        ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip()
    )


def _exempt(scope: Scope) -> bool:
    client = scope.get("client")
    try:
        addr = ipaddress.ip_address(client[0] if client else "")
    except ValueError:
        return False
    return any(addr in net for net in exempt_networks())


class Shield:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _exempt(scope):
            await self.app(scope, receive, send)
            return
        now = time.monotonic()
        network = client_network(scope)
        path = scope.get("path", "")
        query = scope.get("query_string", b"").decode("latin-1")
        if WINDOWS.is_blocked(network, now):
            await _refuse(send, 403, "blocked", network, path, log=False)
            return
        kind = None
        if rules.SCANNERS.search(_user_agent(scope)):
            kind = "scanner"
        elif rules.INJECTION.search(urllib.parse.unquote_plus(f"{path}?{query}")):
            kind = "injection"
        if kind is not None:
            await _refuse(send, 403 if kind == "scanner" else 400, kind, network, path,
                          log=WINDOWS.first_log(network, kind, now))  # fmt: skip
            return
        if network == "local":
            # In-process callers (tests, tools on a Unix socket) have no network to block.
            await self.app(scope, receive, send)
            return
        keys = [m.group(1) for m in rules.ID_SEGMENT.finditer(path)]
        page = urllib.parse.parse_qs(query).get("page")
        if page:
            keys.append(f"page{page[0]}")
        if keys and scope.get("method") == "GET":
            prefix = rules.ID_SEGMENT.sub("/#", path)
            if WINDOWS.touch(_caller(scope, network), f"{prefix}:{'/'.join(keys)}", now):
                WINDOWS.block(network, now)
                await _refuse(send, 429, "bulk_extraction", network, path,
                              log=WINDOWS.first_log(network, "bulk_extraction", now))  # fmt: skip
                return
        status: dict[str, int] = {}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status.get("code") in (401, 403, 404) and WINDOWS.deny(network, now):
            WINDOWS.block(network, now)
            if WINDOWS.first_log(network, "denied_burst", now):
                _record("denied_burst", network, path)


async def _refuse(send: Send, status: int, kind: str, network: str, path: str, *,
                  log: bool) -> None:  # fmt: skip
    if log:
        _record(kind, network, path)
    body = (
        f'{{"detail": "请求已被安全策略拦截 / request blocked by the security policy ({kind})"}}'
    ).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _record(kind: str, network: str, path: str) -> None:
    from safegrid.bootstrap import get_platform
    from safegrid.secops.attacks import do_record_attack

    do_record_attack(get_platform(), kind, network, path)


def reset() -> None:
    """Forget every window (tests; a restart does the same)."""
    global WINDOWS
    WINDOWS = _Windows()


__all__: list[Any] = ["WINDOWS", "Shield", "client_network", "reset"]
