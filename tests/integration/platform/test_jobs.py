"""Scheduled jobs (DESIGN: APScheduler in the server, same jobs in a worker): every run is
recorded and audited as the system; a failing job is recorded and does not stop others."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from safegrid.bootstrap import Platform
from safegrid.cli import app
from safegrid.platform import jobs, scheduler
from safegrid.platform.job_runs import JobRun, RunStatus
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry
from tests.fixtures.world import World

runner = CliRunner()
calls: list[str] = []


def _ok(platform: Platform, actor: Actor) -> dict[str, int]:
    calls.append(actor.username)
    return {"done": 3}


def _boom(platform: Platform, actor: Actor) -> None:
    raise RuntimeError("disk full")


@pytest.fixture
def test_jobs() -> Iterator[None]:
    jobs.register("test.ok", "*/5 * * * *", _ok, "a job that works")
    jobs.register("test.boom", "0 * * * *", _boom, "a job that fails")
    calls.clear()
    yield
    jobs._registry.pop("test.ok")
    jobs._registry.pop("test.boom")


def _entries(world: World, prefix: str) -> list[AuditEntry]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.startswith(prefix))
                .order_by(AuditEntry.seq)
            ).all()
        )


def test_data_6_existing_jobs_are_registered_with_cron_schedules() -> None:
    registered = jobs.load()
    assert registered["collection.daily_arrears"].schedule == "30 1 * * *"
    assert registered["platform.cache_purge"].schedule == "5 * * * *"  # hourly (DATA-6)
    assert registered["security.audit_retention"].schedule == "0 3 1 * *"
    assert all(job.description for job in registered.values())


def test_jobs_bad_schedule_and_duplicate_names_are_refused(test_jobs: None) -> None:
    with pytest.raises(ValueError, match="bad schedule"):
        jobs.register("test.bad", "every hour", _ok)
    with pytest.raises(ValueError, match="already registered"):
        jobs.register("test.ok", "* * * * *", _boom)


def test_jobs_run_as_the_system_and_record_the_run(world: World, test_jobs: None) -> None:
    run = jobs.run_job(world.platform, "test.ok", trigger="cli", by="ops@host")
    assert (run.status, run.summary, run.trigger, run.triggered_by) == (
        RunStatus.SUCCEEDED,
        "done=3",
        "cli",
        "ops@host",
    )
    assert run.finished_at is not None
    assert calls == ["system:test.ok"]
    started, finished = _entries(world, "job.")
    assert (started.action, finished.action) == ("job.started", "job.succeeded")
    assert finished.actor_name == "system:test.ok"
    assert finished.channel == "job"
    assert finished.after == {"run_id": run.id, "summary": "done=3", "error": None}


def test_jobs_a_failing_job_is_recorded_and_the_next_one_still_runs(
    world: World, test_jobs: None
) -> None:
    scheduler._fire(world.platform, "test.boom")  # what APScheduler calls on a tick
    scheduler._fire(world.platform, "test.ok")
    runs = jobs.last_runs(world.platform, world.system())
    by_name = {r.name: r for r in runs}
    assert by_name["test.boom"].status == RunStatus.FAILED
    assert by_name["test.boom"].error == "RuntimeError: disk full"
    assert by_name["test.ok"].status == RunStatus.SUCCEEDED
    assert [e.action for e in _entries(world, "job.failed")] == ["job.failed"]


def test_jobs_a_run_still_in_progress_is_not_started_twice(world: World, test_jobs: None) -> None:
    with world.platform.uow(world.system()) as uow:
        from safegrid.platform import clock

        uow.session.add(
            JobRun(
                name="test.ok",
                trigger="schedule",
                triggered_by="other-process",
                status=RunStatus.RUNNING,
                started_at=clock.now(),
            )
        )
        uow.audit("test.run", object_type="job")
        uow.commit()
    run = jobs.run_job(world.platform, "test.ok")
    assert run.status == RunStatus.SKIPPED
    assert calls == []


def test_jobs_scheduler_holds_every_registered_job_and_is_off_in_tests(
    world: World, test_jobs: None
) -> None:
    sched = scheduler.background(world.platform)  # configured, never started
    assert {j.id for j in sched.get_jobs()} == set(jobs.load())
    assert scheduler.start_in_server(world.platform) is None  # scheduler_enabled=False


def test_jobs_cli_lists_and_runs(world: World, test_jobs: None) -> None:
    ran = runner.invoke(app, ["jobs", "run", "test.ok"])
    assert ran.exit_code == 0, ran.output
    assert "succeeded" in ran.output
    failed = runner.invoke(app, ["jobs", "run", "test.boom"])
    assert failed.exit_code == 1
    assert "disk full" in failed.output
    unknown = runner.invoke(app, ["jobs", "run", "test.nope"])
    assert unknown.exit_code == 1
    listing = runner.invoke(app, ["jobs", "list"], env={"COLUMNS": "250"})
    assert listing.exit_code == 0, listing.output
    assert "test.ok" in listing.output
    assert "platform.cache_purge" in listing.output
