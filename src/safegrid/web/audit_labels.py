"""What each audit action code reads as on screen (issue 13: no raw code shown to staff).

The labels are data, ``locales/audit_actions.csv`` (code, Chinese, English), next to the
translation catalog: an action is named in both languages in one row, and a new action
without a row is caught by ``tests/unit/web/test_audit_labels.py``, which reads every
action the services write from the source.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Final, NamedTuple

TABLE: Final = Path(__file__).resolve().parent / "locales" / "audit_actions.csv"


class ActionLabel(NamedTuple):
    zh: str
    en: str


def read_labels(table: Path, what: str) -> dict[str, ActionLabel]:
    """A label table (code, zh, en); ``what`` names its codes in the errors. Other code
    tables (job names, ``web/job_labels.py``) are read the same way."""
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    labels: dict[str, ActionLabel] = {}
    for row in rows:
        code = row["code"].strip()
        if code in labels:
            raise ValueError(f"{what} {code!r} is labelled twice")
        if not row["zh"].strip() or not row["en"].strip():
            raise ValueError(f"{what} {code!r} lacks a Chinese or English label")
        labels[code] = ActionLabel(row["zh"].strip(), row["en"].strip())
    return labels


@cache
def action_labels() -> dict[str, ActionLabel]:
    return read_labels(TABLE, "audit action")


def action_label(code: str, locale: str) -> str:
    """The action in the reader's language; an unlabelled code shows as itself, which the
    raw-label test reports."""
    found = action_labels().get(code)
    if found is None:
        return code
    return found.en if locale == "en" else found.zh
