"""``safegrid jobs``: list the scheduled jobs and their last runs, run one now, or run the
schedule as a separate worker process (instead of inside the server)."""

from __future__ import annotations

import contextlib
import getpass
import socket

import typer
from rich.console import Console
from rich.table import Table

from safegrid.bootstrap import get_platform
from safegrid.cli_support import run
from safegrid.platform import jobs, scheduler
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.job_runs import JobRun, RunStatus
from safegrid.security.actor import Actor

app = typer.Typer(help="定时任务 / scheduled jobs", no_args_is_help=True)
out = Console()


def _local(value: object) -> str:
    return value.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M") if value else ""  # type: ignore[attr-defined]


@app.command("list")
def list_jobs() -> None:
    """Every registered job: schedule (Beijing time), next run, last run and its outcome."""
    platform = get_platform()
    last: dict[str, JobRun] = {}
    for run_ in jobs.last_runs(platform, Actor.system("jobs-cli", "cli"), limit=500):
        last.setdefault(run_.name, run_)
    nxt = jobs.next_fire_times()
    table = Table("job", "schedule", "next", "last run", "status", "summary / error")
    for name, job in jobs.load().items():
        r = last.get(name)
        table.add_row(
            name,
            job.schedule,
            _local(nxt.get(name)),
            _local(getattr(r, "started_at", None)),
            str(getattr(r, "status", "")),
            str(getattr(r, "error", None) or getattr(r, "summary", None) or job.description),
        )
    out.print(table)


@app.command("run")
def run_now(name: str = typer.Argument(..., help="job name, see `safegrid jobs list`")) -> None:
    """Run one job now, as the system (audited); exit 1 if it failed."""
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    result = run(lambda: jobs.run_job(get_platform(), name, trigger="cli", by=who))
    colour = {RunStatus.SUCCEEDED: "green", RunStatus.SKIPPED: "yellow"}.get(result.status, "red")
    out.print(f"[{colour}]{name}: {result.status}[/{colour}] {result.summary or ''}")
    if result.status == RunStatus.FAILED:
        out.print(f"[red]{result.error}[/red]")
        raise typer.Exit(1)


@app.command()
def worker() -> None:
    """Run the schedule in this process (set SAFEGRID_SCHEDULER_ENABLED=false on servers)."""
    sched = scheduler.blocking(get_platform())
    out.print(f"scheduler running {len(sched.get_jobs())} jobs; Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        sched.start()
