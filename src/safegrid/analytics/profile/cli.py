"""``safegrid analytics profile``: learn the profile weights (ANA-4) from the acting
user's accounts and list one account's most similar customers."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from safegrid.cli_support import AS_OPTION, acting_with, run
from safegrid.security.policy import Perm

app = typer.Typer(help="客户画像 / customer profiles (ANA-4)", no_args_is_help=True)
out = Console()


@app.command("train")
def train(
    as_user: str = AS_OPTION,
    report: Path | None = typer.Option(None, help="also write the artefact's figures as JSON"),
) -> None:
    """Learn ω and λ from the newest period's arrears, save and register the artefact
    (SAFEGRID_MODELS_DIR/profile.json) and print the weights and the held-out ROC-AUC of
    the learned against equal weights."""
    from safegrid.analytics.profile.groups import GROUPS, LABELS
    from safegrid.analytics.profile.jobs import train_profile
    from safegrid.analytics.profile.weights import ProfileWeights
    from safegrid.bootstrap import get_platform

    actor = acting_with(as_user, Perm.CUSTOMERS_VIEW)
    artefact = run(lambda: train_profile(get_platform(), actor))
    w = ProfileWeights.from_json(artefact.model)
    table = Table("group λ", "feature", "ω", "direction", title=f"profile {artefact.version}")
    for g in GROUPS:
        for column, _label in g.features:
            j = w.features.index(column)
            table.add_row(
                f"{g.key} {w.lam[g.key]:.3f}",
                LABELS[column],
                f"{w.omega[j]:.3f}",
                "↑" if w.sign[j] > 0 else "↓",
            )
    out.print(table)
    ev = artefact.evaluation
    out.print(
        f"held-out ROC-AUC ({ev['test']} of {ev['accounts']} accounts, arrears share "
        f"{ev['label_share']:.3f}): "
        + ", ".join(f"{name} {auc:.3f}" for name, auc in ev["roc_auc"].items())
    )
    if report:
        report.write_text(
            json.dumps({"version": artefact.version, "params": artefact.params, **ev}, indent=2),
            "utf-8",
        )


@app.command("similar")
def similar(
    account: str = typer.Argument(..., help="户号 / account number"),
    as_user: str = AS_OPTION,
    k: int = typer.Option(10, "-k", min=1, max=100, help="how many matches"),
) -> None:
    """The k customers that match ACCOUNT best by total matching degree, among the
    acting user's accounts."""
    from safegrid.analytics.profile.jobs import loaded
    from safegrid.analytics.profile.lookup import matches_for
    from safegrid.bootstrap import get_platform

    actor = acting_with(as_user, Perm.CUSTOMERS_VIEW)
    platform = get_platform()
    current = loaded(platform)
    if current is None:
        out.print(
            "[red]error:[/red] no profile weights yet: run `safegrid analytics profile train`"
        )
        raise typer.Exit(1)
    artefact, weights = current
    p = run(lambda: matches_for(platform.uow(actor, readonly=True), weights, account, k))
    table = Table(
        "account", "category", "matching degree", *weights.lam, "F(U)",
        title=f"{p.number} F(U) {p.total:.3f} (profile {artefact.version})",
    )  # fmt: skip
    for m in p.matches:
        table.add_row(
            m.number,
            m.category,
            f"{m.degree:.3f}",
            *(f"{m.groups[g]:.3f}" for g in weights.lam),
            f"{m.total_score:.3f}",
        )
    out.print(table)
