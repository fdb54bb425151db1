"""``safegrid analytics arrears``: the arrears-risk model (ANA-3) on the utility's own
bills, evaluated on a time split against simple rules, and the daily run on demand."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from safegrid.cli_support import AS_OPTION, acting_with, run
from safegrid.platform import clock
from safegrid.security.policy import Perm

app = typer.Typer(help="欠费风险 / arrears risk (ANA-3)", no_args_is_help=True)
out = Console()


@app.command("evaluate")
def evaluate(
    as_user: str = AS_OPTION,
    report: Path | None = typer.Option(None, help="also write the figures as JSON here"),
) -> None:
    """ROC-AUC, average precision and precision/recall in the riskiest tenth of the model
    and of the rules "paid late last month" and "share paid late last year", on the last
    two periods whose due dates have passed (docs/analytics-evaluation.md)."""
    from safegrid.analytics.arrears import model as arrears_model
    from safegrid.analytics.arrears.history import bill_history
    from safegrid.bootstrap import get_platform

    actor = acting_with(as_user, Perm.COLLECTION_VIEW)
    day = clock.business_day()

    def _evaluate() -> dict[str, object]:
        with get_platform().uow(actor, readonly=True) as uow:
            bills, reminders, plans = bill_history(uow, day)
        feats = arrears_model.features(bills, reminders, plans)
        return arrears_model.evaluate(bills, feats, day)

    result = run(_evaluate)
    table = Table(
        "scorer",
        "ROC-AUC",
        "avg precision",
        "precision top 10 %",
        "recall top 10 %",
        title=(
            f"ANA-3 arrears risk: train {result['train_bills']} bills, test "
            f"{result['test_bills']} ({result['test_periods']}), late share "
            f"{result['test_late_share']:.3f}"
        ),
    )
    for name, m in result["results"].items():  # type: ignore[attr-defined]
        table.add_row(
            name,
            f"{m['roc_auc']:.3f}",
            f"{m['average_precision']:.3f}",
            f"{m['precision_top10']:.3f}",
            f"{m['recall_top10']:.3f}",
        )
    out.print(table)
    if report:
        report.write_text(json.dumps(result, indent=2), "utf-8")


@app.command("score")
def score(as_user: str = AS_OPTION) -> None:
    """The daily run now: retrain if this month has no model yet, score the new bills,
    send the early reminders."""
    from safegrid.analytics.arrears.jobs import run_arrears_risk
    from safegrid.bootstrap import get_platform

    actor = acting_with(as_user, Perm.COLLECTION_MANAGE)
    out.print(run(lambda: run_arrears_risk(get_platform(), actor)))
