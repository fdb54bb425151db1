"""``safegrid analytics``: the analytics models' commands, one sub-app per model."""

from __future__ import annotations

import typer

from safegrid.analytics.acorn_cli import app as acorn_app
from safegrid.analytics.arrears_cli import app as arrears_app
from safegrid.analytics.forecast_cli import app as forecast_app
from safegrid.analytics.profile.cli import app as profile_app
from safegrid.analytics.theft.cli import app as theft_app

app = typer.Typer(help="数据分析 / analytics (ANA-1..5)", no_args_is_help=True)
app.add_typer(theft_app, name="theft")
app.add_typer(forecast_app, name="forecast")
app.add_typer(acorn_app, name="acorn")
app.add_typer(arrears_app, name="arrears")
app.add_typer(profile_app, name="profile")
