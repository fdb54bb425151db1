"""``safegrid-sandbox``: the development simulators, each as its own process."""

from __future__ import annotations

import typer

from safegrid_sandbox.gateway.cli import gateway
from safegrid_sandbox.weather.cli import weather

app = typer.Typer(help="开发用模拟器 / development simulators", no_args_is_help=True)


@app.callback()
def simulators() -> None:
    """Stand-ins for systems outside SafeGrid; never part of a production install."""


app.command("gateway")(gateway)
app.command("weather")(weather)


def main() -> None:
    app()
