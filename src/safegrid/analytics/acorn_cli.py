"""``safegrid analytics acorn evaluate``: ACORN group from a year of consumption (ANA-4)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from safegrid.config import get_settings

app = typer.Typer(help="用户画像 / customer profiling (ANA-4)", no_args_is_help=True)


@app.command("evaluate")
def evaluate(
    data_dir: Path | None = typer.Option(None, help="default: ../shared/data"),
    report: Path | None = typer.Option(None, help="also write the figures as JSON here"),
) -> None:
    """Accuracy and macro-F1 of majority class, gradient boosting and conv → PCA → SVM on
    the same held-out London households (docs/analytics-evaluation.md)."""
    import pandas as pd

    from safegrid.analytics.acorn import evaluate as run
    from safegrid.analytics.london import london_daily

    root = data_dir or get_settings().shared_data_dir
    result = run(london_daily(root), pd.read_csv(root / "customers" / "london_households.csv"))
    table = Table("method", "accuracy", "macro-F1", title=f"ACORN group {result['counts']}")
    for name, row in result["results"].items():
        table.add_row(name, f"{row['accuracy']:.3f}", f"{row['macro_f1']:.3f}")
    Console().print(table)
    if report:
        report.write_text(json.dumps(result, indent=2), "utf-8")
