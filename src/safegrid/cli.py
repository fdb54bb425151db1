"""``safegrid`` command line. Each domain mounts its own Typer sub-app; every command
calls the same services as the web and API, as a named actor, so CLI changes are audited."""

from __future__ import annotations

import typer

from safegrid.analytics.cli import app as analytics_app
from safegrid.audit_cli import app as audit_app
from safegrid.billing.cli import app as billing_app
from safegrid.collection.cli import app as collection_app
from safegrid.customers.cli import app as customers_app
from safegrid.datause.cli import app as export_app
from safegrid.db_cli import app as db_app
from safegrid.demo.cli import app as demo_app
from safegrid.hall.cli import app as hall_app
from safegrid.jobs_cli import app as jobs_app
from safegrid.payments.online.callbacks.cli import app as payments_app
from safegrid.readings.cli import app as readings_app
from safegrid.reconciliation.cli import app as statements_app
from safegrid.reconciliation.cli import recon_app
from safegrid.relay.cli import app as events_app
from safegrid.secops.backup.cli import app as backup_app
from safegrid.secops.offline.cli import app as offline_app
from safegrid.security.keys_cli import app as keys_app
from safegrid.security.keys_cli import data_app
from safegrid.staff_cli import app as staff_app
from safegrid.tariffs.cli import app as tariffs_app
from safegrid.terminals.cli import app as terminals_app

app = typer.Typer(help="SafeGrid 电力营销安全平台 / power marketing platform", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(customers_app, name="customers")
app.add_typer(collection_app, name="collection")
app.add_typer(staff_app, name="staff")
app.add_typer(audit_app, name="audit")
app.add_typer(demo_app, name="demo")
app.add_typer(tariffs_app, name="tariffs")
app.add_typer(billing_app, name="billing")
app.add_typer(readings_app, name="readings")
app.add_typer(jobs_app, name="jobs")
app.add_typer(terminals_app, name="terminals")
app.add_typer(export_app, name="export")
app.add_typer(keys_app, name="keys")
app.add_typer(data_app, name="data")
app.add_typer(payments_app, name="payments")
app.add_typer(events_app, name="events")
app.add_typer(statements_app, name="statements")
app.add_typer(recon_app, name="reconciliation")
app.add_typer(hall_app, name="hall")
app.add_typer(analytics_app, name="analytics")
app.add_typer(backup_app, name="backup")
app.add_typer(offline_app, name="offline")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, help="TCP port"),
    workers: int = typer.Option(1, help="uvicorn worker processes"),
) -> None:
    """Serve the console and API (http://HOST:PORT, OpenAPI at /docs)."""
    import uvicorn

    from safegrid.payments.online.callbacks.process import applier_process

    with applier_process():
        uvicorn.run("safegrid.app:create_app", factory=True, host=host, port=port, workers=workers)


def main() -> None:
    app()
