"""``safegrid-sandbox weather``: the sandbox weather service as its own process."""

from __future__ import annotations

import typer


def weather(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8091, help="TCP port"),
) -> None:
    """沙箱天气服务 / run the sandbox weather service (endpoints: safegrid_sandbox.weather)."""
    from safegrid_sandbox.weather.server import WeatherServer

    server = WeatherServer(host, port)
    typer.echo(f"sandbox weather on {server.url}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
