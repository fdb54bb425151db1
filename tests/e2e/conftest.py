"""Browser tests: a real server on a demo database, driven by Debian's headless Chromium.

One server and one database for the whole session (seeding and starting take seconds);
each test gets a fresh browser context, so cookies never leak between tests. Tests that
sign in use different accounts: the login service refuses a TOTP time step it has already
accepted for the same account (IAM-3 replay protection).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Response,
    expect,
    sync_playwright,
)

DEMO_PASSWORD = "SafeGrid@2026"
# Screenshots for a person to look at (not compared): /tmp/safegrid-shots by default.
SHOTS_DIR = Path(os.environ.get("SAFEGRID_SHOTS") or Path(tempfile.gettempdir()) / "safegrid-shots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _safegrid_cli() -> str:
    beside_python = Path(sys.executable).with_name("safegrid")
    found = str(beside_python) if beside_python.exists() else shutil.which("safegrid")
    if found is None:
        pytest.fail("the safegrid command is not installed (pip install -e .)")
    return found


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    # Remember a failed test body, so the page fixture can keep evidence of it.
    report = yield
    if call.when == "call":
        item.stash[FAILED] = bool(getattr(report, "failed", False))
    return report


@dataclass
class Server:
    base_url: str
    db_path: Path
    env: dict[str, str]
    log_path: Path
    gateway_url: str = ""  # the sandbox payment gateway process (PAY-6)
    weather_url: str = ""  # the sandbox weather process (FLD-5)

    def db(self) -> sqlite3.Connection:
        """The server's own database, read directly for the expected answers."""
        return sqlite3.connect(self.db_path)

    def scalar(self, sql: str, *params: object) -> object:
        with contextlib.closing(self.db()) as conn:
            row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def row(self, sql: str, *params: object) -> tuple[object, ...] | None:
        with contextlib.closing(self.db()) as conn:
            found = conn.execute(sql, params).fetchone()
        return None if found is None else tuple(found)

    def column(self, sql: str, *params: object) -> list[object]:
        with contextlib.closing(self.db()) as conn:
            return [r[0] for r in conn.execute(sql, params).fetchall()]

    def totp(self, username: str) -> pyotp.TOTP:
        # The secret is SM4-encrypted at rest (DATA-2): read it through the ORM, which
        # decrypts with the server database's own key ring.
        from sqlalchemy import select

        from safegrid.bootstrap import Platform
        from safegrid.config import Settings
        from safegrid.security.actor import Actor
        from safegrid.security.models import StaffAccount

        platform = Platform(Settings(database_url=f"sqlite:///{self.db_path}", env="dev"))
        try:
            with platform.uow(Actor.system("e2e"), readonly=True) as uow:
                secret = uow.session.scalar(
                    select(StaffAccount.totp_secret).where(StaffAccount.username == username)
                )
        finally:
            platform.dispose()
        assert isinstance(secret, str), f"no TOTP secret for {username}"
        return pyotp.TOTP(secret)

    def fresh_code(self, username: str) -> str:
        """A code the server will accept: if this step was already used by an earlier
        login of the same account, the next step's, which the one step of drift the
        server allows takes at once (as an authenticator a little ahead would show),
        where waiting for the next step cost the browser stage up to 30 s a login."""
        totp = self.totp(username)
        last = self.scalar("SELECT totp_last_step FROM staff_accounts WHERE username = ?", username)
        step = int(time.time()) // totp.interval
        if isinstance(last, int) and step <= last:
            if step < last:  # the next step is spent too: wait until it is the current one
                time.sleep(max(last * totp.interval - time.time() + 0.5, 0))
            return totp.generate_otp(last + 1)
        return totp.now()

    def sign_in(
        self, page: Page, username: str, code: str | None = None, *, password: str = DEMO_PASSWORD
    ) -> Response | None:
        """Fill and send the login form; the caller asserts where it landed."""
        page.goto("/login")
        page.fill("#f-username", username)
        page.fill("#f-password", password)
        page.fill("#f-otp", self.fresh_code(username) if code is None else code)
        with page.expect_navigation() as navigation:
            page.click("form[action='/login'] button[type=submit]")
        return navigation.value

    def create_staff(
        self,
        username: str,
        real_name: str,
        post: str,
        unit_code: str,
        password: str,
        *,
        activate: bool = True,
    ) -> int:
        """A new account through the real service (must change password, no TOTP yet),
        written straight into the server's database as the system would; with
        ``activate=False`` it waits for its security training (IAM-8) on an admin's list."""
        from safegrid.bootstrap import Platform
        from safegrid.config import Settings
        from safegrid.security import accounts, passwords
        from safegrid.security.actor import Actor
        from safegrid.security.policy import Post

        unit_id = self.scalar("SELECT id FROM org_units WHERE code = ?", unit_code)
        assert isinstance(unit_id, int), unit_code
        platform = Platform(
            Settings(
                database_url=f"sqlite:///{self.db_path}",
                env="dev",
                argon2_time_cost=1,
                argon2_memory_kib=8192,
            )
        )
        from decimal import Decimal

        from safegrid.governance import training

        try:
            account_id = accounts.do_create_staff(
                platform.uow(Actor.system("e2e-setup", "cli")),
                accounts.NewStaff(username, real_name, Post(post), unit_id, password),
                hasher=passwords.hasher(1, 8192),
            )
            if not activate:
                return account_id
            # New accounts wait for their security training (IAM-8); this one has done it.
            training.do_record_training(
                platform.uow(Actor.system("e2e-setup", "cli")),
                account_id,
                training.TrainingUpdate(Decimal(16), exam_passed=True, commitment_signed=True),
            )
            training.do_activate(platform.uow(Actor.system("e2e-setup", "cli")), account_id)
            return account_id
        finally:
            platform.dispose()

    def rectify(self, worker: str, by: str, colour: str, reason: str) -> int:
        """A rectification (FLD-8) issued by ``by`` through the real service into the
        server's database; the demo's day has none, and the safety supervisor's walk
        needs one to review."""
        from safegrid.bootstrap import Platform
        from safegrid.config import Settings
        from safegrid.fieldwork.rectification import Colour, NewRectification, do_rectify
        from safegrid.security.cli_identity import actor_from_username

        worker_id = self.scalar("SELECT id FROM staff_accounts WHERE username = ?", worker)
        assert isinstance(worker_id, int), worker
        platform = Platform(Settings(database_url=f"sqlite:///{self.db_path}", env="dev"))
        try:
            [rid] = do_rectify(
                platform.uow(actor_from_username(platform, by)),
                [NewRectification(worker_id, Colour(colour), reason)],
            )
            return rid
        finally:
            platform.dispose()

    @staticmethod
    def screenshot(page: Page, name: str) -> Path:
        SHOTS_DIR.mkdir(parents=True, exist_ok=True)
        path = SHOTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("e2e")
    db_path = workdir / "e2e.db"
    env = {
        **os.environ,
        "SAFEGRID_DATABASE_URL": f"sqlite:///{db_path}",
        "SAFEGRID_ENV": "dev",
        "SAFEGRID_ARGON2_TIME_COST": "1",
        "SAFEGRID_ARGON2_MEMORY_KIB": "8192",
        "SAFEGRID_DEFAULT_LOCALE": "zh",
        "SAFEGRID_COOKIE_SECURE": "false",
        # Signed reports and case evidence of this session only (REC-3/4), not the repo's var/.
        "SAFEGRID_RECON_REPORT_DIR": str(workdir / "recon-reports"),
        "SAFEGRID_RECON_EVIDENCE_DIR": str(workdir / "recon-evidence"),
    }
    seed = subprocess.run(
        [_safegrid_cli(), "demo", "generate", "--seed", "7", "--customers", "300", "--days", "3"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if seed.returncode != 0:
        pytest.fail(f"demo generate failed:\n{seed.stdout}\n{seed.stderr}")

    port = _free_port()
    # The sandbox payment gateway runs as its own process, as in production (PAY-6).
    gateway_port = _free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    env["SAFEGRID_PAY_GATEWAY_URL"] = gateway_url
    env["SAFEGRID_PAY_KEYS_DIR"] = str(workdir / "payment-keys")
    gateway_log = workdir / "gateway.log"
    with gateway_log.open("w") as log:
        gateway = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "safegrid_sandbox",
                "gateway",
                "--port",
                str(gateway_port),
                "--notify-url",
                f"http://127.0.0.1:{port}/api/payments/online/callbacks/sandbox",
                "--db",
                str(workdir / "gateway.db"),
                "--retry-base",
                "0.2",
            ],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    # The sandbox weather service, its own process too (FLD-5).
    weather_port = _free_port()
    weather_url = f"http://127.0.0.1:{weather_port}"
    env["SAFEGRID_FIELD_WEATHER_URL"] = weather_url
    weather_log = workdir / "weather.log"
    with weather_log.open("w") as log:
        weather = subprocess.Popen(
            [sys.executable, "-m", "safegrid_sandbox", "weather", "--port", str(weather_port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    log_path = workdir / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "safegrid.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base_url, proc, log_path)
        _wait_healthy(gateway_url, gateway, gateway_log, "/control/health")
        _wait_healthy(weather_url, weather, weather_log, "/v1/areas")
        yield Server(base_url, db_path, env, log_path, gateway_url, weather_url)
    finally:
        weather.terminate()
        weather.wait(timeout=10)
        gateway.terminate()
        try:
            gateway.wait(timeout=10)
        except subprocess.TimeoutExpired:
            gateway.kill()
            gateway.wait()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_healthy(
    base_url: str, proc: subprocess.Popen[bytes], log_path: Path, probe: str = "/api/health"
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}{probe}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server did not become healthy in 30 s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Assertions wait up to 10 s (default 5 s): CI machines run other suites alongside.
    expect.set_options(timeout=10_000)
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=os.environ.get("SAFEGRID_CHROMIUM", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=server.base_url, locale="zh-CN", viewport={"width": 1366, "height": 900}
    )
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext, server: Server, request: pytest.FixtureRequest) -> Iterator[Page]:
    new_page = context.new_page()
    yield new_page
    if request.node.stash.get(FAILED, False):
        # What the browser showed and what the server said, attached to the failure report.
        shot = server.screenshot(new_page, f"failed-{request.node.name}")
        log_tail = "\n".join(server.log_path.read_text(errors="replace").splitlines()[-80:])
        request.node.add_report_section("teardown", "e2e", f"screenshot: {shot}\n{log_tail}")
