"""``safegrid-sandbox gateway``: the sandbox payment gateway as its own process."""

from __future__ import annotations

from pathlib import Path

import typer


def gateway(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8090, help="TCP port"),
    notify_url: str = typer.Option(
        "http://127.0.0.1:8000/api/payments/online/callbacks/sandbox",
        help="SafeGrid's callback URL",
    ),
    db: Path = typer.Option(Path("var/sandbox-gateway.db"), help="the gateway's own SQLite state"),
    keys_dir: Path | None = typer.Option(None, help="dev keypairs (default SAFEGRID_PAY_KEYS_DIR)"),
    retry_base: float = typer.Option(1.0, help="first retry after this many seconds"),
    retry_max: float = typer.Option(60.0, help="longest wait between retries"),
    workers: int = typer.Option(16, help="concurrent callback deliveries"),
) -> None:
    """沙箱支付网关 / run the sandbox payment gateway (endpoints: safegrid_sandbox.gateway docstring)."""
    import uvicorn

    from safegrid.config import get_settings
    from safegrid.payments.online import keys
    from safegrid.payments.online.settings import get_channel_settings
    from safegrid_sandbox.gateway.core import SandboxGateway
    from safegrid_sandbox.gateway.server import create_gateway_app
    from safegrid_sandbox.gateway.store import GatewayStore

    env = get_settings().env
    cs = get_channel_settings()
    kdir = keys_dir or cs.keys_dir
    try:
        gateway_key = keys.private_key(env, cs.gateway_key_file, kdir, keys.GATEWAY)
        merchant_pub = keys.public_key(env, cs.merchant_public_key_file, kdir, keys.MERCHANT)
    except keys.ChannelKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    gateway = SandboxGateway(
        GatewayStore(db), gateway_key, merchant_pub, retry_base=retry_base, retry_max=retry_max
    )
    typer.echo(f"sandbox gateway on http://{host}:{port} → callbacks to {notify_url}")
    uvicorn.run(
        create_gateway_app(gateway, notify_url, workers=workers),
        host=host,
        port=port,
        log_level="warning",
    )
