"""APScheduler wiring for the registered jobs: inside the server by default (started and
stopped with the app), or alone in ``safegrid jobs worker`` for production deployments
that run several server processes — then set ``SAFEGRID_SCHEDULER_ENABLED=false`` on the
servers so each job fires once. A run already in progress is skipped (``job_runs``), which
also keeps an accidental second scheduler from running a job twice at the same time."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from safegrid.platform import jobs
from safegrid.platform.clock import BUSINESS_TZ

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform

log = logging.getLogger(__name__)


def _fire(platform: Platform, name: str) -> None:
    try:
        jobs.run_job(platform, name, trigger="schedule")
    except Exception:
        # run_job records a job's own failure; this catches failures to record it (e.g. the
        # database is down) so the scheduler thread lives on to the next tick.
        log.exception("could not run job %s", name)


def configure(scheduler: BaseScheduler, platform: Platform) -> BaseScheduler:
    for job in jobs.load().values():
        scheduler.add_job(
            _fire,
            job.trigger(),
            args=[platform, job.name],
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,  # after downtime, one catch-up run, not one per missed tick
            misfire_grace_time=3600,
            replace_existing=True,
        )
    return scheduler


def background(platform: Platform) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=BUSINESS_TZ)
    configure(scheduler, platform)
    return scheduler


def blocking(platform: Platform) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=BUSINESS_TZ)
    configure(scheduler, platform)
    return scheduler


def start_in_server(platform: Platform) -> BackgroundScheduler | None:
    """The app's lifespan calls this; ``SAFEGRID_SCHEDULER_ENABLED=false`` (tests, or a
    deployment with a separate worker) leaves scheduling to someone else."""
    if not platform.settings.scheduler_enabled:
        return None
    scheduler = background(platform)
    scheduler.start()
    log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
    return scheduler
