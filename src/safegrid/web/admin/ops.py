"""Operations pages: the key-field alert inbox (AUD-3) and the scheduled jobs with their
last runs (DATA-6, AUD-4) and the outbox relay's backlog (ADR 0016)."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from safegrid.alerts import services as alert_services
from safegrid.bootstrap import get_platform
from safegrid.platform import jobs
from safegrid.platform.errors import NotFoundError
from safegrid.platform.job_runs import JobRun
from safegrid.platform.paging import PageQuery
from safegrid.relay import services as relay_services
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.labels import KEY_FIELD_LABELS
from safegrid.web.page_access import (
    AlertsAckPage,
    AlertsViewPage,
    EventsManagePage,
    JobsRunPage,
    JobsViewPage,
)
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE: Final = 20
# Fixed notices after a redirect, chosen by key (a URL cannot inject text).
DONE: Final[dict[str, str]] = {
    "acknowledged": N_("The alert has been acknowledged."),
    "succeeded": N_("The job has run successfully."),
    "failed": N_("The job failed; the error is shown in its last run."),
    "skipped": N_("The job is already running; this run was skipped."),
    "requeued": N_("The dead event deliveries have been queued again."),
}


@router.get("/alerts")
def alert_inbox(
    request: Request,
    work: AlertsViewPage,
    page: int = Query(1, ge=1, le=100_000),
    show: str = Query("open", pattern="^(open|all)$"),
    done: str = Query("", max_length=16),
) -> Response:
    result = alert_services.list_alerts(
        work.read(),
        show == "open",
        PageQuery(page=page, size=PAGE_SIZE),
    )
    return render(
        request,
        "ops/alerts.html",
        {
            "result": result,
            "params": {"show": show},
            "show": show,
            "labels": KEY_FIELD_LABELS,
            "can_ack": work.actor.can(Perm.ALERTS_ACK),
            "done": DONE.get(done),
        },
    )


@router.post("/alerts/{alert_id}/acknowledge")
def alert_acknowledge(request: Request, alert_id: int, work: AlertsAckPage) -> Response:
    alert_services.do_acknowledge(work.write(), alert_id)
    return see_other(request, "/alerts?done=acknowledged")


@router.get("/jobs")
def job_list(
    request: Request,
    work: JobsViewPage,
    done: str = Query("", max_length=16),
) -> Response:
    platform = get_platform()
    runs = jobs.last_runs(platform, work.actor, limit=200)
    last: dict[str, JobRun] = {}
    for run in runs:
        last.setdefault(run.name, run)
    can_see_events = work.actor.can(Perm.EVENTS_VIEW)
    relay = (
        relay_services.status(work.read(), platform.settings.events_stale_minutes)
        if can_see_events
        else None
    )
    dead = (
        relay_services.list_deliveries(work.read(), limit=20)
        if relay is not None and relay.dead
        else []
    )
    return render(
        request,
        "ops/jobs.html",
        {
            "jobs": list(jobs.load().values()),
            "next": jobs.next_fire_times(),
            "last": last,
            "runs": runs[:30],
            "can_run": work.actor.can(Perm.JOBS_RUN),
            "relay": relay,
            "dead": dead,
            "can_requeue": work.actor.can(Perm.EVENTS_MANAGE),
            "done": DONE.get(done),
        },
    )


@router.post("/jobs/{job_name}/run")
def job_run(request: Request, job_name: str, work: JobsRunPage) -> Response:
    """Runs the job in this request (as the system, recorded as started by the admin): jobs
    are idempotent and the page shows how it ended."""
    if job_name not in jobs.load():
        raise NotFoundError("任务不存在 / no such job")
    run = jobs.run_job(get_platform(), job_name, trigger="console", by=work.actor.username)
    return see_other(request, f"/jobs?done={run.status.value}")


@router.post("/jobs/events/requeue")
def events_requeue(request: Request, work: EventsManagePage) -> Response:
    """Every dead event delivery gets a fresh set of attempts (audited, ADR 0016)."""
    relay_services.do_requeue(work.write(), None)
    return see_other(request, "/jobs?done=requeued")
