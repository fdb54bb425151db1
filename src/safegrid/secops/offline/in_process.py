"""The server's and the hall node's applications in one process (the typhoon drill, the
tests): each client makes its own platform the current one for its requests — a process
normally serves one platform, and the routes find theirs through ``get_platform()``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from safegrid.app import create_app
from safegrid.bootstrap import Platform, set_platform


class AppClient(TestClient):
    def __init__(self, platform: Platform, app: FastAPI | None = None) -> None:
        super().__init__(app or create_app(platform))
        self.platform = platform

    def request(self, *args: Any, **kwargs: Any) -> Any:
        set_platform(self.platform)
        return super().request(*args, **kwargs)
