"""The profile weights as a versioned artefact (``SAFEGRID_MODELS_DIR/profile.json``,
listed in analytics_models): retrained once a month from the utility's own accounts and
the arrears of the newest period past its due dates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safegrid.analytics.artefacts import ModelArtefact
from safegrid.analytics.profile.frame import arrears_label, profile_frame
from safegrid.analytics.profile.weights import ProfileWeights, train
from safegrid.analytics.theft.inspections import do_register_model
from safegrid.platform import clock, jobs

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform
    from safegrid.security.actor import Actor

FILE = "profile.json"


def artefact_path(platform: Platform) -> Path:
    return platform.settings.models_dir / FILE


def loaded(platform: Platform) -> tuple[ModelArtefact, ProfileWeights] | None:
    """The current artefact and its weights, or None before the first training."""
    path = artefact_path(platform)
    if not path.exists():
        return None
    artefact = ModelArtefact.load(path)
    return artefact, ProfileWeights.from_json(artefact.model)


def train_profile(platform: Platform, actor: Actor, now: datetime | None = None) -> ModelArtefact:
    """Learn ω and λ on the accounts ``actor`` may see, as of the day the labelled
    period's bills were issued; save and register the artefact."""
    now = now or clock.now()
    with platform.uow(actor, readonly=True) as uow:
        label, issued, period = arrears_label(uow.session, now)
        frame = profile_frame(uow.session, issued)
    frame = frame[frame.index.isin(label.index)]
    params: dict[str, Any] = {
        "as_of": now.isoformat(),
        "label": "bill not paid in full by its due date",
        "label_period": period,
        "features_before": issued.isoformat(),
        "fit": "non-negative least squares per group, then on the group scores",
    }
    artefact = train(frame, label, params)
    path = artefact.save(artefact_path(platform))
    do_register_model(platform.uow(actor), artefact, path)
    return artefact


def run_profile_training(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Retrain the profile weights (ANA-4) when this month has none yet."""
    now = clock.now()
    current = loaded(platform)
    if current and str(current[0].params.get("as_of", ""))[:7] == f"{now:%Y-%m}":
        return {"model": current[0].version, "retrained": False}
    try:
        artefact = train_profile(platform, actor, now)
    except ValueError as too_little:  # a young utility: no period past due yet
        return {"skipped": str(too_little)}
    return {
        "model": artefact.version,
        "retrained": True,
        "accounts": artefact.training_rows,
        "roc_auc": artefact.evaluation["roc_auc"]["learned_weights"],
    }


jobs.register(
    "analytics.customer_profile",
    "30 4 4 * *",
    run_profile_training,
    "Customer profile weights learned from arrears (ANA-4)",
)
