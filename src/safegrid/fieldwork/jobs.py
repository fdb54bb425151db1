"""Scheduled field-safety jobs (registered at import; listed in platform.jobs.JOB_MODULES)."""

from __future__ import annotations

from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.fieldwork.supervision import do_draw
from safegrid.fieldwork.team_results import do_publish_month
from safegrid.fieldwork.weather_watch import do_weather_sweep
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform import clock, jobs
from safegrid.platform.errors import ConflictError
from safegrid.security.actor import Actor


def _last_month() -> str:
    first = clock.business_day().replace(day=1)
    return f"{first.year - 1}-12" if first.month == 1 else f"{first.year}-{first.month - 1:02d}"


def weather_watch(platform: Platform, actor: Actor) -> dict[str, int]:
    """Stop running high-risk orders under a thunderstorm or humidity above 80 % (FLD-5)."""
    return do_weather_sweep(platform.uow(actor))


def monthly_draw(platform: Platform, actor: Actor) -> dict[str, int]:
    """Draw last month's 20 % of finished orders in every county for review (FLD-7)."""
    with platform.uow(actor, readonly=True) as uow:
        counties = list(
            uow.session.scalars(select(OrgUnit.id).where(OrgUnit.kind == UnitKind.COUNTY))
        )
    period, drawn = _last_month(), 0
    for county in counties:
        try:
            drawn += len(do_draw(platform.uow(actor), county, period).drawn)
        except ConflictError:
            continue  # drawn already (a re-run of the job): the first draw stands
    return {"counties": len(counties), "drawn": drawn}


def monthly_results(platform: Platform, actor: Actor) -> dict[str, int]:
    """Publish last month's rectification results per team and the red flags (FLD-8)."""
    try:
        rows = do_publish_month(platform.uow(actor), _last_month())
    except ConflictError:
        return {"teams": 0, "red_flags": 0}
    return {"teams": len(rows), "red_flags": sum(r.red_flag for r in rows)}


jobs.register("fieldwork.weather_watch", "*/5 * * * *", weather_watch)
jobs.register("fieldwork.monthly_draw", "30 2 1 * *", monthly_draw)
jobs.register("fieldwork.monthly_results", "0 3 1 * *", monthly_results)
