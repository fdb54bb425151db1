"""A local PostgreSQL cluster driven by PostgreSQL's own programs (initdb, pg_ctl), as the
server's OS user: the restore drill starts a scratch cluster on a restored data directory,
and the tests make a WAL-archiving primary and a streaming standby the same way."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

from sqlalchemy import URL, make_url


class ClusterError(RuntimeError):
    pass


def pg_bin(configured: Path | None = None) -> Path:
    if configured is not None:
        return configured
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for candidate in reversed(found):
        if (candidate / "pg_ctl").exists():
            return candidate
    where = shutil.which("pg_ctl")
    if where is None:
        raise ClusterError("找不到 PostgreSQL 程序 / PostgreSQL programs (pg_ctl) not found")
    return Path(where).parent


def _as_server_user() -> list[str]:
    # PostgreSQL refuses to run as root: run its programs as the postgres user then.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"]
    return []


def hand_over(path: Path) -> None:
    """Give a directory (recursively) to the server's OS user when we are root."""
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam("postgres")
    for dirpath, _dirs, files in os.walk(path):
        os.chown(dirpath, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(Path(dirpath) / name, user.pw_uid, user.pw_gid)


def run(bin_dir: Path, program: str, *args: str) -> str:
    proc = subprocess.run(  # noqa: S603 - PostgreSQL's own programs, arguments we built
        [*_as_server_user(), str(bin_dir / program), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
    )
    if proc.returncode != 0:
        raise ClusterError(f"{program} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(bin_dir: Path, datadir: Path, port: int, *settings: str) -> None:
    extra = " ".join(f"-c {s}" for s in settings)
    log = datadir / "server.log"
    try:
        run(bin_dir, "pg_ctl", "-D", str(datadir), "-l", str(log), "-w", "-t", "600",
            "-o", f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 {extra}",
            "start")  # fmt: skip
    except ClusterError as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise ClusterError(f"{exc}\n{tail}") from None


def stop(bin_dir: Path, datadir: Path) -> None:
    if (datadir / "postmaster.pid").exists():
        run(bin_dir, "pg_ctl", "-D", str(datadir), "-m", "fast", "-w", "-t", "60", "stop")


def url_on(live: str, port: int) -> str:
    url = make_url(live)
    moved: URL = url.set(host="127.0.0.1", port=port)
    return moved.render_as_string(hide_password=False)


def conninfo(live: str) -> str:
    url = make_url(live)
    parts = {"host": url.host or "127.0.0.1", "port": str(url.port or 5432),
             "user": url.username or "postgres", "dbname": url.database or "postgres"}  # fmt: skip
    if url.password:
        parts["password"] = str(url.password)
    return " ".join(f"{k}={v}" for k, v in parts.items())


def archiving_primary(bin_dir: Path, datadir: Path, archive_command: str) -> int:
    """A new cluster that archives its WAL (and may feed a streaming standby); returns
    its port. For drills and tests: production clusters are configured by their DBA with
    the same three settings."""
    run(bin_dir, "initdb", "-D", str(datadir), "--auth=trust", "--username=safegrid",
        "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
    port = free_port()
    start(bin_dir, datadir, port, "wal_level=replica", "archive_mode=on",
          f"archive_command='{archive_command}'", "max_wal_senders=4")  # fmt: skip
    return port
