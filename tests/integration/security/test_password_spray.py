"""OPS-8 / IAM-3 (issue 12): scripts/password_spray.py, bounded, against a real HTTP server
on the test database — many users x common passwords from one address. Nobody gets in, the
staff are not locked out, the answers do not tell real usernames from made-up ones, and the
managers get an alert. (Larger runs: the script against `make demo`, see README.)"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text

from safegrid.app import create_app
from safegrid.bootstrap import Platform
from safegrid.platform import clock
from safegrid.security.policy import Post
from tests.fixtures.world import PASSWORD, World

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "password_spray.py"


@pytest.fixture
def server(platform: Platform) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        create_app(platform), host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def _spray(url: str, users: list[str], *extra: str) -> tuple[int, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--url", url, "--users", ",".join(users), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_ops_8_password_spray_from_one_address(world: World, server: str) -> None:
    staff = [world.staff(Post.CASHIER, "stationA") for _ in range(12)]
    users = [s.username for s in staff] + ["admin", "root", "zhang.wei"]  # 3 do not exist
    code, summary = _spray(server, users, "--passwords", "123456,Password1!,Admin@123")
    assert code == 0 and summary["got_in"] == []
    assert summary["attempts"] == 45
    # Ten failures from the address are free, the 11th is answered; then it waits 1 s, 2 s,
    # 4 s … for every name alike (the server's real clock runs on, hence a little slack).
    statuses = summary["statuses"]
    assert isinstance(statuses, dict) and set(statuses) == {"401", "429"}
    assert 11 <= statuses["401"] <= 14 and statuses["401"] + statuses["429"] == 45
    # Real and made-up usernames got the same words back.
    assert summary["distinct_bodies"] == {"401": 1, "429": 1}
    with world.platform.engine.connect() as conn:
        locked = conn.scalar(
            text("SELECT COUNT(*) FROM staff_accounts WHERE locked_until IS NOT NULL")
        )
        alerts = conn.execute(
            text("SELECT object_id FROM alerts WHERE key_field = 'login_spray'")
        ).all()
    assert locked == 0
    assert [a[0] for a in alerts] == ["127.0.0.1"]
    # The console door is the same door.
    code, console = _spray(server, users[:3], "--target", "console", "--passwords", "123456")
    assert code == 0 and console["got_in"] == []
    # At most one answered (if the address's wait ran out meanwhile), which doubles the wait.
    slowed = console["statuses"]
    assert isinstance(slowed, dict) and set(slowed) <= {"401", "429"} and slowed["429"] >= 2
    # The staff still sign in from their own PCs.
    own = TestClient(create_app(world.platform), client=("10.20.30.40", 50000))
    clock.set_clock(clock.FixedClock(clock.now() + timedelta(seconds=1)))
    resp = own.post(
        "/api/auth/token",
        json={
            "username": staff[0].username,
            "password": PASSWORD,
            "otp": pyotp.TOTP(staff[0].totp_secret).at(clock.now()),
        },
    )
    assert resp.status_code == 200
