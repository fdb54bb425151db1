"""Scheduled field-safety jobs (registered at import; listed in platform.jobs.JOB_MODULES)."""

from __future__ import annotations

from safegrid.bootstrap import Platform
from safegrid.fieldwork.weather_watch import do_weather_sweep
from safegrid.platform import jobs
from safegrid.security.actor import Actor


def weather_watch(platform: Platform, actor: Actor) -> dict[str, int]:
    """Stop running high-risk orders under a thunderstorm or humidity above 80 % (FLD-5)."""
    return do_weather_sweep(platform.uow(actor))


jobs.register("fieldwork.weather_watch", "*/5 * * * *", weather_watch)
