"""Scheduled jobs: one registry every domain adds its jobs to, one runner.

A domain registers a job in its own module, at import::

    from safegrid.platform import jobs
    jobs.register("collection.daily_arrears", "30 1 * * *", run_daily, "Late fees and reminders")

and adds that module to :data:`JOB_MODULES` so the scheduler and ``safegrid jobs`` find it.
A job function takes ``(platform, actor)`` — the actor is ``Actor.system(<job name>,
channel="job")`` — calls the same ``do_*`` services the web and CLI call (which audit
what they change), and returns a short summary (text, a mapping, a Pydantic model…).

:func:`run_job` records each run in ``job_runs`` (status, summary, error) and writes one
audit entry when it starts and one when it ends. A failing job is recorded as failed and
its exception is not re-raised, so the scheduler keeps running the other jobs.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel
from sqlalchemy import select

from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import NotFoundError
from safegrid.platform.job_runs import JobRun, RunStatus

if TYPE_CHECKING:  # types only: jobs run as the actor the platform makes for them
    from safegrid.bootstrap import Platform
    from safegrid.security.actor import Actor

log = logging.getLogger(__name__)

JobFn = Callable[["Platform", "Actor"], object]

# Modules whose import registers jobs. A domain adding a job adds its module here.
JOB_MODULES: Final[tuple[str, ...]] = (
    "safegrid.collection.jobs",
    "safegrid.platform.cache_purge",
    "safegrid.security.audit_retention",
    "safegrid.datause.jobs",
    "safegrid.governance.jobs",
    "safegrid.payments.counter.jobs",
    "safegrid.relay.jobs",
    "safegrid.payments.online.callbacks.backlog",
    "safegrid.reconciliation.jobs",
    "safegrid.hall.jobs",
    "safegrid.fieldwork.jobs",
    "safegrid.analytics.theft.jobs",
    "safegrid.analytics.arrears.jobs",
    "safegrid.analytics.tariff_push",
    "safegrid.analytics.profile.jobs",
    "safegrid.secops.jobs",
)

# A run still marked running after this long is taken to have died with its process.
STALE_RUN: Final = timedelta(hours=6)


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    schedule: str  # crontab "minute hour day month weekday", Beijing time
    fn: JobFn
    description: str

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.schedule, timezone=BUSINESS_TZ)


_registry: dict[str, Job] = {}


def register(name: str, schedule: str, fn: JobFn, description: str = "") -> Job:
    """Add a job; ``schedule`` is a 5-field crontab in Asia/Shanghai time."""
    try:
        CronTrigger.from_crontab(schedule, timezone=BUSINESS_TZ)
    except ValueError as exc:
        raise ValueError(f"job {name}: bad schedule {schedule!r}: {exc}") from None
    existing = _registry.get(name)
    if existing is not None and existing.fn is not fn:
        raise ValueError(f"job {name!r} is already registered")
    job = Job(name, schedule, fn, description or (fn.__doc__ or "").strip().split("\n")[0])
    _registry[name] = job
    return job


def load() -> dict[str, Job]:
    """Every registered job, after importing the modules that register them."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return dict(sorted(_registry.items()))


def get(name: str) -> Job:
    job = load().get(name)
    if job is None:
        raise NotFoundError(f"no job named {name!r}", field="name")
    return job


def summarise(result: object) -> str:
    """A job's return value as one line for the run record and the audit entry."""
    if result is None:
        return "done"
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    if isinstance(result, Mapping):
        text = ", ".join(f"{k}={v}" for k, v in result.items())
    elif isinstance(result, tuple | list):
        text = "; ".join(summarise(r) for r in result)
    else:
        text = str(result)
    return text[:500]


def run_job(
    platform: Platform, name: str, *, trigger: str = "schedule", by: str | None = None
) -> JobRun:
    """Run one job now as the system actor and record the run. Never raises for a job's
    own failure (the run says ``failed`` and why); an unknown name is a NotFoundError."""
    job = get(name)
    actor = platform.system_actor(job.name)
    started = _start(platform, actor, job, trigger, by or actor.username)
    if started.status == RunStatus.SKIPPED:
        return started
    try:
        summary = summarise(job.fn(platform, actor))
    except Exception as exc:
        log.exception("job %s failed", job.name)
        return _finish(platform, actor, started.id, RunStatus.FAILED, None, _describe(exc))
    return _finish(platform, actor, started.id, RunStatus.SUCCEEDED, summary, None)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def _start(platform: Platform, actor: Actor, job: Job, trigger: str, by: str) -> JobRun:
    now = clock.now()
    with platform.uow(actor) as uow:
        running = uow.session.scalar(
            select(JobRun.id).where(
                JobRun.name == job.name,
                JobRun.status == RunStatus.RUNNING,
                JobRun.started_at > now - STALE_RUN,
            )
        )
        status = RunStatus.SKIPPED if running is not None else RunStatus.RUNNING
        run = JobRun(
            name=job.name,
            trigger=trigger,
            triggered_by=by[:64],
            status=status,
            started_at=now,
            finished_at=now if status == RunStatus.SKIPPED else None,
            summary=f"run {running} still running" if running is not None else None,
        )
        uow.session.add(run)
        uow.session.flush()
        uow.audit(
            "job.skipped" if running is not None else "job.started",
            object_type="job",
            object_id=job.name,
            after={"run_id": run.id, "trigger": trigger, "by": by},
        )
        uow.commit()
        uow.session.refresh(run)
        uow.session.expunge(run)
    return run


def _finish(
    platform: Platform,
    actor: Actor,
    run_id: int,
    status: RunStatus,
    summary: str | None,
    error: str | None,
) -> JobRun:
    with platform.uow(actor) as uow:
        run = uow.session.get_one(JobRun, run_id)
        run.status = status
        run.finished_at = clock.now()
        run.summary = summary
        run.error = error
        uow.audit(
            "job.succeeded" if status == RunStatus.SUCCEEDED else "job.failed",
            object_type="job",
            object_id=run.name,
            after={"run_id": run.id, "summary": summary, "error": error},
        )
        uow.commit()
        uow.session.refresh(run)
        uow.session.expunge(run)
    return run


def last_runs(platform: Platform, actor: Actor, limit: int = 50) -> list[JobRun]:
    """The newest runs of every job, newest first (console and ``safegrid jobs list``)."""
    with platform.uow(actor, readonly=True) as uow:
        rows = uow.session.scalars(
            select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
        ).all()
        for r in rows:
            uow.session.expunge(r)
        return list(rows)


def next_fire_times(now: Any = None) -> dict[str, Any]:
    """When each job fires next (Beijing time), for the console and ``jobs list``."""
    at = now or clock.now()
    return {name: job.trigger().get_next_fire_time(None, at) for name, job in load().items()}
