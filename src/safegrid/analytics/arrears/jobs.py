"""The daily arrears-risk run (ANA-3) as a scheduled job: once a month the model is
retrained on the utility's own bills (its time-split evaluation stored in the artefact),
then every new bill is scored and high-risk bills get their early reminder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from safegrid.analytics.arrears.history import bill_history
from safegrid.analytics.arrears.services import do_send_early_reminders, score_new_bills
from safegrid.analytics.artefacts import ModelArtefact
from safegrid.analytics.theft.inspections import do_register_model
from safegrid.platform import clock, jobs

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from safegrid.bootstrap import Platform
    from safegrid.security.actor import Actor


def current_artefact(platform: Platform, actor: Actor, day: date) -> tuple[ModelArtefact, Path]:
    """The default artefact, retrained from the utility's own history when it was trained
    in an earlier month than ``day`` (or never)."""
    path = platform.settings.models_dir / "arrears.json"
    if path.exists():
        artefact = ModelArtefact.load(path)
        if str(artefact.params.get("as_of", ""))[:7] == f"{day:%Y-%m}":
            return artefact, path
    from safegrid.analytics.arrears import model as arrears_model

    with platform.uow(actor, readonly=True) as uow:
        bills, reminders, plans = bill_history(uow, day)
    artefact = arrears_model.train(bills, reminders, plans, day)
    return artefact, artefact.save(path)


def run_arrears_risk(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Score new bills for arrears risk; early reminders for the high-risk ones."""
    day = clock.business_day()
    try:
        artefact, path = current_artefact(platform, actor, day)
    except ValueError as too_little:  # a young utility: not enough months to learn from
        return {"day": day.isoformat(), "skipped": str(too_little)}
    model_id = do_register_model(platform.uow(actor), artefact, path)
    scored = score_new_bills(
        platform.uow(actor, readonly=True), platform.uow(actor), artefact, model_id, day
    )
    reminded = do_send_early_reminders(platform.uow(actor), day)
    return {"day": day.isoformat(), "model": artefact.version, **scored, "reminders": reminded}


jobs.register(
    "analytics.arrears_risk",
    "0 2 * * *",
    run_arrears_risk,
    "Arrears risk of new bills and early reminders for the high-risk ones (ANA-3)",
)
