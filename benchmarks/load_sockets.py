"""A cheap HTTP/1.1 load generator for benchmarks that share the machine with the server.

httpx (and its pool, header models and stream machinery) spent about as much CPU per
request as the server did, on the same two cores: a benchmark driven by it measured the
client as much as the server. Here each connection is an ``asyncio.Protocol`` on a
keep-alive socket: the request is hand-built bytes, the answer is read as a status line,
``Content-Length`` and body, nothing more. It speaks only what the SafeGrid server
answers a load with (no chunked bodies on ordinary requests, no redirects, no TLS); a
server answer it does not understand fails the request loudly instead of being guessed.

Display boards hold one raw socket each and count the server-sent-event frames they
receive without parsing them (``BoardStream``).
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass

HEAD_END = b"\r\n\r\n"
IDLE_REUSE = 3.0  # seconds: below uvicorn's keep-alive timeout (5 s)


class ProtocolError(Exception):
    """The server answered something this client does not speak."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.open = True
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None:
            return
        end = self.buffer.find(HEAD_END)
        if end < 0:
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        length, close = 0, False
        try:
            status = int(lines[0].split(" ", 2)[1])
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding":
                    raise ProtocolError(f"transfer-encoding {value.strip()} not spoken")
                elif name == "connection":
                    close = value.strip().lower() == "close"
        except (ProtocolError, ValueError, IndexError) as exc:
            if not self.waiter.done():
                self.waiter.set_exception(ProtocolError(f"{exc}: {lines[0]!r}"))
            self.waiter = None
            self.close()
            return
        start = end + len(HEAD_END)
        if len(self.buffer) < start + length:
            return
        body = bytes(self.buffer[start : start + length])
        del self.buffer[: start + length]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():  # cancelled when the run ended before the answer came
            waiter.set_result((status, body))
        if close:
            self.close()

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        assert self.waiter is None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()


def request_bytes(method: str, path: str, headers: bytes = b"", body: bytes = b"") -> bytes:
    """``headers`` are ready-made ``Name: value\\r\\n`` lines (e.g. the bearer token)."""
    content = b"Content-Type: application/json\r\n" if body else b""
    return (
        f"{method} {path} HTTP/1.1\r\nHost: bench\r\n".encode()
        + headers
        + content
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


class Pool:
    """Up to ``size`` keep-alive connections; a request beyond them waits for a free one
    (that wait counts in the caller's latency, as a real client's would)."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self.idle: list[_Connection] = []
        self.free = asyncio.Semaphore(size)

    async def request(
        self, method: str, path: str, headers: bytes = b"", body: bytes = b""
    ) -> tuple[int, bytes]:
        async with self.free:
            conn = self._reusable() or await self._connect()
            try:
                answer = await conn.send(request_bytes(method, path, headers, body))
            except BaseException:
                conn.close()
                raise
            if conn.open:
                conn.idle_since = time.monotonic()
                self.idle.append(conn)
            return answer

    def _reusable(self) -> _Connection | None:
        """The most recently used open connection, unless the server may be closing it:
        uvicorn drops a keep-alive connection after 5 s idle, and a request written into
        that close would fail as a reset the server never saw."""
        while self.idle:
            conn = self.idle.pop()
            if conn.open and time.monotonic() - conn.idle_since < IDLE_REUSE:
                return conn
            conn.close()
        return None

    async def _connect(self) -> _Connection:
        _, conn = await asyncio.get_running_loop().create_connection(
            _Connection, self.host, self.port
        )
        return conn

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


class BoardStream(asyncio.Protocol):
    """A display board's server-sent-event stream: counts ``event: call`` frames and
    notices the ``: subscribed`` comment, without parsing the stream. A pattern split
    across two reads is found through the tail kept from the previous read."""

    CALL, SUBSCRIBED = b"event: call", b": subscribed"

    def __init__(self) -> None:
        self.calls = 0
        self.subscribed = False
        self.tail = b""
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        seen = self.tail + data
        self.calls += seen.count(self.CALL)
        if not self.subscribed and self.SUBSCRIBED in seen:
            self.subscribed = True
        # Shorter than either pattern, so a match is never counted twice.
        self.tail = seen[-(len(self.CALL) - 1) :]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_board(host: str, port: int, path: str) -> BoardStream:
    _, board = await asyncio.get_running_loop().create_connection(BoardStream, host, port)
    assert board.transport is not None
    board.transport.write(request_bytes("GET", path))  # type: ignore[attr-defined]
    return board


@dataclass
class CpuMeter:
    """This process's own CPU (user + system, children excluded): the load generator's."""

    started: float = 0.0

    @staticmethod
    def now() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> None:
        self.started = self.now()

    def seconds(self) -> float:
        return self.now() - self.started
