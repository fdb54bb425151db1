"""``safegrid analytics theft``: train and score the theft model on daily-consumption files
(ANA-1), and run the evaluation protocol. Files in, files out: these commands touch no
database, so they work on a fresh clone (the monthly job in safegrid.analytics.theft.
inspections scores the utility's own meters and registers the model version it used)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from safegrid.analytics.artefacts import ModelArtefact
from safegrid.cli_support import reported
from safegrid.config import get_settings

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(help="窃电与异常用电 / theft and abnormal use (ANA-1)", no_args_is_help=True)
out = Console(stderr=True)

MODEL_OPTION = typer.Option(
    None, "--model", help="model artefact (default: SAFEGRID_MODELS_DIR/theft.json)"
)


def default_model_path() -> Path:
    return get_settings().models_dir / "theft.json"


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=out
    )


def train_default(path: Path) -> ModelArtefact:
    """Train on the real London households shipped beside the project."""
    from safegrid.analytics.london import london_daily

    data_dir = get_settings().shared_data_dir
    with _progress() as progress:
        progress.add_task(f"读取 / reading {data_dir / 'customers'}", total=None)
        daily = london_daily(data_dir)
    return _train(daily, path)


def _train(daily: pd.DataFrame, path: Path) -> ModelArtefact:
    # The model's libraries load only when a model command runs, not with every command.
    from safegrid.analytics.theft import model as theft_model

    with _progress() as progress:
        progress.add_task("训练 / training (features + LightGBM)", total=None)
        artefact = theft_model.train(daily)
    artefact.save(path)
    out.print(f"模型 / model {artefact.version} → {path} ({artefact.training_rows} readings)")
    return artefact


@app.command("train")
def train(
    input_file: Path = typer.Option(..., "--input", help="CSV or .csv.xz: LCLid, day, energy_sum"),
    model: Path | None = MODEL_OPTION,
) -> None:
    """Train a theft model on the customers of FILE (taken to be honest)."""
    from safegrid.analytics.london import read_daily

    with reported():
        _train(read_daily(input_file), model or default_model_path())


@app.command("score")
def score(
    input_file: Path = typer.Option(..., "--input", help="CSV or .csv.xz: LCLid, day, energy_sum"),
    output: Path = typer.Option(..., "--output", help="CSV written: LCLid, score, rank, reason"),
    model: Path | None = MODEL_OPTION,
) -> None:
    """Rank every customer of FILE, most suspicious first (higher score = more suspicious)."""
    from safegrid.analytics.london import read_daily
    from safegrid.analytics.theft import model as theft_model

    with reported():
        path = model or default_model_path()
        daily = read_daily(input_file)
        if path.exists():
            artefact = ModelArtefact.load(path)
        elif model is None:
            out.print(f"没有默认模型，先训练 / no default model yet, training it at {path}")
            artefact = train_default(path)
        else:
            raise typer.BadParameter(f"no model at {path}", param_hint="--model")
        with _progress() as progress:
            progress.add_task("评分 / scoring", total=None)
            ranked = theft_model.score(artefact, daily)
        ranked = ranked.rename(columns={"customer": "LCLid"})
        output.parent.mkdir(parents=True, exist_ok=True)
        ranked.to_csv(output, index=False, float_format="%.6f")
        out.print(f"{len(ranked)} 户 / customers → {output} (model {artefact.version})")


@app.command("evaluate")
def evaluate(
    input_file: Path | None = typer.Option(
        None, "--input", help="default: the London households in ../shared/data/customers"
    ),
    seed: int = typer.Option(2016, help="seed of the split and the injections"),
    report: Path | None = typer.Option(None, help="also write the figures as JSON here"),
) -> None:
    """The evaluation protocol of docs/analytics-theft-evaluation.md: held-out households,
    the six injected patterns, ROC-AUC and MAP@100 against two baselines in one run."""
    from safegrid.analytics.london import london_daily, read_daily
    from safegrid.analytics.theft import evaluation

    with reported():
        daily = (
            read_daily(input_file) if input_file else london_daily(get_settings().shared_data_dir)
        )
        with _progress() as progress:
            progress.add_task("评估 / evaluating", total=None)
            result = evaluation.evaluate(daily, evaluation.Protocol(seed=seed))
    table = Table(
        "pattern",
        "model AUC",
        "model MAP@100",
        "drop AUC",
        "drop MAP@100",
        "iForest AUC",
        "iForest MAP@100",
        title=f"ANA-1 theft evaluation {result['counts']}",
    )
    for row in evaluation.table(result):
        table.add_row(*row)
    Console().print(table)
    if report:
        result.pop("artefact")
        report.write_text(json.dumps(result, indent=2), "utf-8")
