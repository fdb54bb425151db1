"""A field-terminal client (DATA-7): what the handheld does, in Python.

Used by the tests (with FastAPI's ``TestClient``, an ``httpx.Client``) and by
``safegrid terminals simulate`` against a running server, so the flow can be shown:
seal a batch of readings with the upload key → upload with the terminal's credentials and
the reader's token → poll the command queue → carry out and acknowledge a wipe.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from safegrid.platform import clock
from safegrid.terminals import payload
from safegrid.terminals.guard import READER_HEADER


@dataclasses.dataclass
class TerminalClient:
    http: httpx.Client  # base_url set to the server
    terminal_id: str
    secret: str
    upload_key: bytes
    reader_token: str | None = None
    wiped: bool = False

    @classmethod
    def connect(
        cls, server: str, terminal_id: str, secret: str, upload_key_b64: str, timeout: float = 30
    ) -> TerminalClient:
        return cls(
            httpx.Client(base_url=server, timeout=timeout),
            terminal_id,
            secret,
            base64.b64decode(upload_key_b64),
        )

    def _headers(self, with_reader: bool = False) -> dict[str, str]:
        headers = {"Authorization": f"Terminal {self.terminal_id}:{self.secret}"}
        if with_reader and self.reader_token:
            headers[READER_HEADER] = self.reader_token
        return headers

    def sign_in_reader(self, username: str, password: str, otp: str) -> None:
        """The meter reader signs in on the handheld (password + one-time code)."""
        resp = self.http.post(
            "/api/auth/token", json={"username": username, "password": password, "otp": otp}
        )
        resp.raise_for_status()
        self.reader_token = str(resp.json()["access_token"])

    def seal(
        self,
        readings: Sequence[dict[str, Any]],
        batch_id: str | None = None,
        sent_at: datetime | None = None,
    ) -> dict[str, str]:
        """The upload body: readings sealed before they leave the device."""
        batch_id = batch_id or f"b-{secrets.token_hex(8)}"
        stamp = payload.timestamp(sent_at or clock.now())
        sealed = payload.seal_batch(
            self.upload_key, self.terminal_id, batch_id, stamp, list(readings)
        )
        return {"batch_id": batch_id, "sent_at": stamp, "sealed": sealed}

    def upload_sealed(self, body: dict[str, str]) -> httpx.Response:
        return self.http.post("/api/terminals/uploads", json=body, headers=self._headers(True))

    def upload(self, readings: Sequence[dict[str, Any]], batch_id: str | None = None) -> Any:
        resp = self.upload_sealed(self.seal(readings, batch_id))
        resp.raise_for_status()
        return resp.json()

    def poll(self) -> httpx.Response:
        return self.http.get("/api/terminals/commands", headers=self._headers())

    def acknowledge(self, command_id: int) -> httpx.Response:
        return self.http.post(f"/api/terminals/commands/{command_id}/ack", headers=self._headers())

    def obey(self) -> list[dict[str, Any]]:
        """Poll once and carry out what came: a wipe erases the local keys and readings
        (here: forgets them), then acknowledges. Returns the commands handled."""
        resp = self.poll()
        resp.raise_for_status()
        handled: list[dict[str, Any]] = resp.json()
        for command in handled:
            if command["kind"] == "wipe":
                self.upload_key = b""
                self.reader_token = None
                self.wiped = True
            self.acknowledge(int(command["id"])).raise_for_status()
        return handled
