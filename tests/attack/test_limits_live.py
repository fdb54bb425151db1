"""Against a real server (issue 12 defect 5): a streamed body with no Content-Length is
refused once it passes the limit, without the server reading the rest of it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from safegrid.apicontract.body_limits import DEFAULT_BODY_BYTES
from tests.attack.conftest import LiveServer

pytestmark = pytest.mark.attack

CHUNK = 64 * 1024


def test_ops_8_streamed_body_is_cut_off_at_the_limit(live_server: LiveServer) -> None:
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(64 * 1024 * 1024 // CHUNK):  # 64 MiB offered, no Content-Length
            sent += CHUNK
            yield b"x" * CHUNK

    try:
        resp = httpx.post(
            f"{live_server.base_url}/api/customers",
            content=body(),
            headers={"content-type": "application/json"},
            timeout=30,
        )
    except httpx.TransportError:
        resp = None  # the server closed the connection while we were still sending
    if resp is not None:
        assert resp.status_code == 413, resp.text
        assert resp.json()["field"] == "body"
    # The server stopped reading soon after the limit: far less than 64 MiB went out
    # (socket buffers on both sides hold a few MiB at most).
    assert sent < DEFAULT_BODY_BYTES + 16 * 1024 * 1024, sent
