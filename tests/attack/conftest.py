"""A real server for the attack runs (issue 12): ``uvicorn`` in its own process on a free
port, on this worker's test database (SQLite file or PostgreSQL clone) with a little data
and live tokens of a county and a province account. Stopped, and so disconnected from the
database, before the test's tables are emptied."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from safegrid.bootstrap import Platform
from safegrid.security.policy import Post
from tests.fixtures.world import World


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass
class LiveServer:
    base_url: str
    tokens: dict[str, str]  # county | province | auditor (bearer), console (session cookie)
    ids: dict[str, int]  # placeholders of tests/attack/targets.py
    is_sqlite: bool
    log: Path


def _environment(platform: Platform, tmp: Path) -> dict[str, str]:
    s = platform.settings
    env = dict(os.environ)
    env.update(
        {
            "SAFEGRID_ENV": "test",
            "SAFEGRID_DATABASE_URL": s.database_url,
            "SAFEGRID_SECRET_KEY": s.secret_key,
            "SAFEGRID_SCHEDULER_ENABLED": "false",
            "SAFEGRID_ARGON2_TIME_COST": str(s.argon2_time_cost),
            "SAFEGRID_ARGON2_MEMORY_KIB": str(s.argon2_memory_kib),
            "SAFEGRID_TMP_DIR": str(tmp / "tmp"),
            "SAFEGRID_AMI_DIR": str(tmp / "ami"),
            "SAFEGRID_AUDIT_ARCHIVE_DIR": str(tmp / "audit-archive"),
            # The tools are this utility's own authorised scanners: past the attack shield
            # (which would refuse sqlmap by its User-Agent and block the address after a
            # burst of 403s), so they test the application's own defences (ADR 0029).
            "SAFEGRID_SHIELD_EXEMPT_NETWORKS": "127.0.0.1/32",
        }
    )
    return env


@pytest.fixture
def live_server(world: World, tmp_path: Path) -> Iterator[LiveServer]:
    county = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    province = world.staff(Post.SYSTEM_ADMIN, "prov")
    area = world.reading_area("stationA")
    customer = world.customer("stationA")
    meter = world.meter(customer, area)
    tokens = {
        "county": world.token(county),
        "province": world.token(province),
        # A province reader of the access log (DATA-4): sqlmap's datause target needs one.
        "auditor": world.token(world.staff(Post.AUDITOR, "prov")),
        "console": world.token(county, "console"),
    }
    ids = {
        "customer_id": customer,
        "meter_id": meter,
        "unit_id": world.units["countyA"],
        "account_id": county.id,
        "tariff_id": 1,
    }
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "safegrid.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            ],
            env=_environment(world.platform, tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield LiveServer(base, tokens, ids, world.platform.settings.is_sqlite, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
