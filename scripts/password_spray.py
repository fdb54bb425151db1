#!/usr/bin/env python3
"""Password spraying against a running SafeGrid (issue 12): many usernames x a few common
passwords, all from this machine's one address, the way an intruder on the intranet would.

    .venv/bin/python scripts/password_spray.py --url http://127.0.0.1:8000 \\
        --users-file var/demo-logins.txt [--passwords 123456,Password1!] [--target api|console]
        [--max-attempts 2000] [--wait-retry-after 0]

Each password is tried against every user before the next one (the spray order that stays
under per-account lockouts). The API target posts /api/auth/token; the console target signs
in through /login like a browser (it fetches the page first for its cookie and CSRF token).
A 429 is counted and, with ``--wait-retry-after S``, waited out up to S seconds in total.

Prints one JSON summary (attempts, answers by status, distinct bodies per status, who got
in, seconds; bodies compared with their numbers blanked) and exits 1 if anybody got in, 0 otherwise. What the defender sees — the
throttled address, the ``login_spray`` alert, no mass lockout — is on the server side
(tests/integration/security/test_password_spray.py checks it after a bounded run).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from pathlib import Path

import httpx

COMMON_PASSWORDS = [
    "123456",
    "Password1!",
    "Admin@123",
    "Aa123456!",
    "Welcome@2026",
    "SafeGrid@2025",
    "Qwer@1234",
    "P@ssw0rd",
]
TOKEN_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def read_users(args: argparse.Namespace) -> list[str]:
    users = [u for u in (args.users or "").split(",") if u]
    if args.users_file:
        for line in Path(args.users_file).read_text(encoding="utf-8").splitlines():
            word = line.split()[0] if line.split() else ""
            # demo-logins.txt has a header and decorations: keep plausible usernames only.
            if word and not word.startswith("#") and re.fullmatch(r"[\w.\-]{3,64}", word):
                users.append(word)
    return list(dict.fromkeys(users))


def try_api(client: httpx.Client, user: str, password: str) -> httpx.Response:
    return client.post(
        "/api/auth/token", json={"username": user, "password": password, "otp": "000000"}
    )


def try_console(client: httpx.Client, user: str, password: str) -> httpx.Response:
    page = client.get("/login")
    found = TOKEN_RE.search(page.text)
    return client.post(
        "/login",
        data={
            "username": user,
            "password": password,
            "otp": "000000",
            "csrf_token": found.group(1) if found else "",
        },
        follow_redirects=False,
    )


def spray(args: argparse.Namespace) -> dict[str, object]:
    users = read_users(args)
    if not users:
        raise SystemExit("no usernames: give --users or --users-file")
    passwords = [p for p in args.passwords.split(",") if p] if args.passwords else COMMON_PASSWORDS
    attempt = try_console if args.target == "console" else try_api
    statuses: collections.Counter[int] = collections.Counter()
    bodies: dict[int, set[str]] = collections.defaultdict(set)
    got_in: list[str] = []
    waited = 0.0
    started = time.monotonic()
    attempts = 0
    with httpx.Client(base_url=args.url, timeout=30) as client:
        for password in passwords:
            for user in users:
                if attempts >= args.max_attempts:
                    break
                attempts += 1
                resp = attempt(client, user, password)
                statuses[resp.status_code] += 1
                if args.target == "api":
                    # Numbers aside (a Retry-After in words): does the answer tell names apart?
                    bodies[resp.status_code].add(re.sub(r"\d+", "N", resp.text))
                if (args.target == "api" and resp.status_code == 200) or resp.status_code == 303:
                    got_in.append(user)
                retry = float(resp.headers.get("retry-after", "0") or 0)
                if resp.status_code == 429 and waited + retry <= args.wait_retry_after:
                    time.sleep(retry)
                    waited += retry
    return {
        "url": args.url,
        "target": args.target,
        "users": len(users),
        "passwords": len(passwords),
        "attempts": attempts,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "distinct_bodies": {str(k): len(v) for k, v in sorted(bodies.items())},
        "got_in": got_in,
        "waited_seconds": round(waited, 1),
        "seconds": round(time.monotonic() - started, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", help="comma-separated usernames")
    parser.add_argument("--users-file", help="one username per line (first word)")
    parser.add_argument("--passwords", help="comma-separated; default: a list of common ones")
    parser.add_argument("--target", choices=("api", "console"), default="api")
    parser.add_argument("--max-attempts", type=int, default=2000)
    parser.add_argument("--wait-retry-after", type=float, default=0.0, metavar="SECONDS")
    summary = spray(parser.parse_args())
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    return 1 if summary["got_in"] else 0


if __name__ == "__main__":
    sys.exit(main())
