"""Screenshots of what each post sees first (issue 13's closing note, docs/console-tour.md).

Serves the console on a demo database, opens a session for each post's county-level demo
account (``<post>.zj-hz-fy``, 富阳区) as the login would write it, and with headless
Chromium saves the start page of every post (desktop, and the meter reader on a 390 px
phone) as PNGs in ``--out``, printing each page's headings and to-do lines. The PNGs are
for a person to look at; they are not committed.

    .venv/bin/python scripts/console_tour.py [--db var/bench-console.db] [--out /tmp/safegrid-tour]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench-console.db")
    parser.add_argument("--out", type=Path, default=Path("/tmp/safegrid-tour"))
    parser.add_argument("--unit-suffix", default="zj-hz-fy")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SAFEGRID_DATABASE_URL": f"sqlite:///{args.db.resolve()}",
        "SAFEGRID_ENV": "dev",
        "SAFEGRID_SCHEDULER_ENABLED": "false",
    }
    os.environ.update(env)

    from safegrid.bootstrap import Platform
    from safegrid.config import Settings
    from safegrid.platform import clock
    from safegrid.security import authn
    from safegrid.security.guards import SESSION_COOKIE
    from safegrid.security.models import AuthSession, SessionStage, StaffAccount
    from safegrid.security.policy import Post

    platform = Platform(Settings())
    tokens: dict[Post, str] = {}
    now = clock.now()
    with platform.engine.begin() as conn:
        for post in Post:
            account = conn.scalar(
                select(StaffAccount.id).where(
                    StaffAccount.username == f"{post.value}.{args.unit_suffix}"
                )
            )
            if account is None:
                continue
            token = secrets.token_urlsafe(24)
            conn.execute(
                insert(AuthSession).values(
                    account_id=account, token_hash=authn.token_digest(token), kind="console",
                    stage=SessionStage.FULL.value, ip="127.0.0.1", user_agent="console-tour",
                    created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=1),
                )
            )  # fmt: skip
            tokens[post] = token
    platform.dispose()

    port = _port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "safegrid.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            shots = [(post, 1366, 900) for post in tokens]
            if Post.METER_READER in tokens:
                shots.append((Post.METER_READER, 390, 844))
            for post, width, height in shots:
                ctx = browser.new_context(
                    base_url=base, locale="zh-CN", viewport={"width": width, "height": height}
                )
                ctx.add_cookies([{"name": SESSION_COOKIE, "value": tokens[post], "url": base}])
                page = ctx.new_page()
                page.goto("/", wait_until="networkidle", timeout=60_000)
                name = f"{post.value}{'-phone' if width < 500 else ''}.png"
                page.screenshot(path=str(args.out / name), full_page=True)
                lines = page.locator("main").inner_text().split("\n")
                print(f"== {post.value} ({width} px): {args.out / name}")
                print("   " + " | ".join(t.strip() for t in lines if t.strip())[:900])
                ctx.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
