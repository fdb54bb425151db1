"""What each scheduled job's name reads as on /jobs (issue 13: no raw code shown to staff).

The labels are data, ``locales/job_names.csv`` (code, Chinese, English), read like the
audit action labels; a registered job without a row is caught by
``tests/unit/web/test_job_labels.py`` and by the raw-label page test.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from safegrid.web.audit_labels import ActionLabel, read_labels

TABLE: Final = Path(__file__).resolve().parent / "locales" / "job_names.csv"


@cache
def job_labels() -> dict[str, ActionLabel]:
    return read_labels(TABLE, "job")


def job_label(name: str, locale: str) -> str:
    """The job's name in the reader's language; an unlabelled job shows its code, which
    the raw-label test reports."""
    found = job_labels().get(name)
    if found is None:
        return name
    return found.en if locale == "en" else found.zh
