"""Every scheduled job has a Chinese and an English name on /jobs (issue 13: no raw job
code shown to staff), and the table names no job that is not registered."""

from __future__ import annotations

from safegrid.platform import jobs
from safegrid.web.job_labels import job_label, job_labels


def test_every_registered_job_has_a_label_and_no_label_is_stale() -> None:
    registered = set(jobs.load())
    labelled = set(job_labels())
    assert len(registered) > 20  # the registry was loaded
    assert sorted(registered - labelled) == [], "jobs without a label"
    assert sorted(labelled - registered) == [], "labels of no registered job"


def test_job_names_read_in_one_language() -> None:
    assert job_label("events.relay", "zh") == "事件投递"
    assert job_label("events.relay", "en") == "Event relay"
    assert job_label("no.such_job", "zh") == "no.such_job"
