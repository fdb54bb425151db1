"""Durations on the wire: the OpenAPI ``format: duration`` is RFC 3339's, which has no
fractional seconds, while Pydantic writes ``PT3.5S`` for a ``timedelta`` with microseconds
(issue 12 defect 8: ``delay`` in departures failed its documented format)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field


def _whole_seconds(value: timedelta) -> timedelta:
    return timedelta(seconds=round(value.total_seconds()))


Duration = Annotated[
    timedelta,
    AfterValidator(_whole_seconds),
    Field(description="ISO 8601 duration in whole seconds, e.g. PT5M or P1DT2H"),
]
