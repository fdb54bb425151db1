"""``safegrid analytics forecast evaluate``: the ETTh1/ETTh2 long-horizon protocol (ANA-2)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from safegrid.config import get_settings

app = typer.Typer(help="负荷预测 / load forecasting (ANA-2)", no_args_is_help=True)


@app.command("evaluate")
def evaluate(
    load_dir: Path | None = typer.Option(None, help="default: ../shared/data/load"),
    report: Path | None = typer.Option(None, help="also write the figures as JSON here"),
) -> None:
    """MSE/MAE per horizon of the linear forecaster and seasonal naive (same run) next to
    the published DLinear and PatchTST figures (docs/analytics-evaluation.md)."""
    from safegrid.analytics.forecast_eval import PUBLISHED
    from safegrid.analytics.forecast_eval import evaluate as run

    result = run(load_dir or get_settings().shared_data_dir / "load")
    console = Console()
    for name, by_h in result.items():
        table = Table(
            "horizon", "lookback(s)", "ours MSE", "ours MAE", "naive MSE", "naive MAE",
            "DLinear MSE", "DLinear MAE", "PatchTST/64 MSE", "PatchTST/64 MAE",
            title=f"{name} (multivariate, z-normalised by train statistics)",
        )  # fmt: skip
        for h, row in by_h.items():
            d, p = PUBLISHED[name]["DLinear"][h], PUBLISHED[name]["PatchTST/64"][h]
            table.add_row(
                str(h), "+".join(str(lb) for lb in row["lookbacks"]),
                *(f"{v:.3f}" for v in (*row["model"], *row["seasonal_naive"], *d, *p)),
            )  # fmt: skip
        console.print(table)
    if report:
        report.write_text(json.dumps(result, indent=2), "utf-8")
