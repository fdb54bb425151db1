"""The monthly theft run (ANA-1) as a scheduled job: last month's scores, inspection
orders for each unit's top suspects. The model is the default artefact; when there is
none yet it is trained on the London households shipped beside the project plus the
meters inspectors have labelled so far."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from safegrid.analytics.artefacts import ModelArtefact
from safegrid.analytics.theft.inspections import (
    do_score_month,
    labelled_meters,
    meter_daily,
)
from safegrid.platform import clock, jobs

if TYPE_CHECKING:
    from pathlib import Path

    from safegrid.bootstrap import Platform
    from safegrid.security.actor import Actor


def default_artefact(platform: Platform, actor: Actor) -> tuple[ModelArtefact, Path]:
    path = platform.settings.models_dir / "theft.json"
    if path.exists():
        return ModelArtefact.load(path), path
    from safegrid.analytics.london import london_daily
    from safegrid.analytics.theft import model as theft_model

    with platform.uow(actor, readonly=True) as uow:
        labels = labelled_meters(uow)
        found = meter_daily(uow, clock.business_day()) if labels else None
    labelled = None
    if found is not None:
        found = found[found["meter_id"].isin(labels)]
        labelled = (found, {str(m): y for m, y in labels.items()})
    artefact = theft_model.train(london_daily(platform.settings.shared_data_dir), labelled=labelled)
    return artefact, artefact.save(path)


def run_monthly_theft(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Score last month's meters for theft; inspection orders for each unit's top suspects."""
    period = f"{clock.business_day().replace(day=1) - timedelta(days=1):%Y-%m}"
    artefact, path = default_artefact(platform, actor)
    return do_score_month(platform, actor, period, artefact, path)


jobs.register("analytics.theft_monthly", "0 3 2 * *", run_monthly_theft)
