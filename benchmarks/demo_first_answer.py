"""Issue 11 §5: seconds from `make demo` (after install) to the console's first answer.

Runs the real ``make demo`` on a fresh demo database (``--fresh`` deletes
``var/safegrid.db`` first) and polls ``http://127.0.0.1:PORT/login`` until the server
answers; then watches the background history in the database until it is finished.
Prints wall seconds and CPU seconds (user + system of the whole ``make`` process tree,
including reaped children) at both points, the load average (the machine is shared), and
the ratio of first answer to history finished — the second figure is what the console
waited for when the whole history was generated before serving.

    .venv/bin/python benchmarks/demo_first_answer.py --fresh [--port 8011] [--no-history-wait]
        [--stop-after-months N]   # stop make demo once N months are done (then run again
                                  # without --fresh: the second make demo resumes them)

The target is a first answer within 90 s of ``make demo`` on a fresh clone (2 cores).
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "var" / "safegrid.db"
TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # After the name: state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based.
    ppid = int(fields[1])
    ticks = sum(int(f) for f in fields[11:15])
    return ppid, ticks / TICK


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and every live descendant (with their reaped children)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                stats[int(entry.name)] = found
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def history_state(db: Path) -> tuple[int, int, bool] | None:
    """(months done, months, finished) of the demo history, None before it is planned."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            months = conn.execute(
                "SELECT count(*), count(done_at) FROM demo_history_months"
            ).fetchone()
            finished = conn.execute("SELECT finished_at FROM demo_history").fetchone()
    except sqlite3.Error:
        return None
    if finished is None:
        return None
    return int(months[1]), int(months[0]), finished[0] is not None


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="delete var/safegrid.db first")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--no-history-wait", action="store_true")
    parser.add_argument("--stop-after-months", type=int, default=None)
    parser.add_argument("--log", type=Path, default=ROOT / "var" / "demo-first-answer.log")
    args = parser.parse_args()
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DB}{suffix}").unlink(missing_ok=True)
    args.log.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{args.port}/login"
    env = {k: v for k, v in os.environ.items() if k != "SAFEGRID_DATABASE_URL"}
    load_before = os.getloadavg()
    started = time.monotonic()
    with args.log.open("w") as log:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "demo", f"DEMO_PORT={args.port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: stopped together below
        )
    try:
        first_answer = cpu_first = None
        while time.monotonic() - started < args.timeout and make.poll() is None:
            if answers(url):
                first_answer = time.monotonic() - started
                cpu_first = tree_cpu(make.pid)
                break
            time.sleep(0.25)
        if first_answer is None or cpu_first is None:
            raise SystemExit(f"no answer from {url} (make exit {make.poll()}; see {args.log})")
        print(f"first answer: {first_answer:.1f} s wall, {cpu_first:.1f} s CPU (make demo tree)")
        state = history_state(DB)
        if state is not None:
            print(f"history at first answer: {state[0]}/{state[1]} months")
        if args.no_history_wait:
            return
        finished = cpu_done = None
        last_cpu = cpu_first
        while time.monotonic() - started < args.timeout and make.poll() is None:
            last_cpu = tree_cpu(make.pid)
            state = history_state(DB)
            if state is not None and state[2]:
                finished, cpu_done = time.monotonic() - started, last_cpu
                break
            stop = args.stop_after_months
            if state is not None and stop is not None and state[0] >= stop:
                print(f"stopped at {state[0]}/{state[1]} months after {_since(started)}")
                return
            time.sleep(2)
        if finished is None or cpu_done is None:
            raise SystemExit(f"history not finished after {args.timeout:.0f} s (see {args.log})")
        print(f"history finished: {finished:.1f} s wall, {cpu_done:.1f} s CPU (make demo tree)")
        print(f"first answer / history finished: {first_answer / finished:.3f}")
    finally:
        load_after = os.getloadavg()
        print(
            f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} "
            f"on {os.cpu_count()} cores"
        )
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGTERM)
            try:
                make.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(make.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
