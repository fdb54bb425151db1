"""``safegrid events``: the outbox relay (ADR 0016) — run it, see its backlog, manage the
webhooks and re-queue dead deliveries."""

from __future__ import annotations

import contextlib
import signal
import threading

import typer
from rich.console import Console
from rich.table import Table

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting_with, run
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.relay import relay, services
from safegrid.relay.schemas import WebhookCreate
from safegrid.security.actor import Actor
from safegrid.security.policy import Perm

app = typer.Typer(help="事件外发 / events leaving through the outbox relay", no_args_is_help=True)
webhooks_app = typer.Typer(help="回调订阅 / webhook subscriptions", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
out = Console()


def _system() -> Actor:
    return Actor.system("events-cli", "cli")


@app.command("relay")
def relay_events(
    follow: bool = typer.Option(False, "--follow", help="keep relaying as events arrive"),
    interval: float = typer.Option(1.0, min=0.1, help="seconds between looks when idle"),
) -> None:
    """Deliver waiting events to subscribers and webhooks (safe next to other relays)."""
    platform = get_platform()
    if not follow:
        report = relay.drain(platform)
    else:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            report = relay.follow(platform, stop, interval=interval)
    out.print(
        f"已送达 delivered {report.delivered} · 已发布 published {report.published} · "
        f"待重试 retrying {report.retrying} · 已放弃 dead {report.dead}"
    )


@app.command("status")
def relay_status() -> None:
    """Backlog, oldest waiting event, retrying and dead deliveries; exit 1 when a person
    is needed (a dead delivery, or an event waiting longer than SAFEGRID_EVENTS_STALE_MINUTES)."""
    platform = get_platform()
    s = services.status(
        platform.uow(_system(), readonly=True), platform.settings.events_stale_minutes
    )
    oldest = s.oldest_unpublished_at
    since = oldest.astimezone(BUSINESS_TZ).isoformat() if oldest else "-"
    out.print(
        f"未发布 unpublished {s.unpublished} (oldest {since}) · 待重试 retrying {s.retrying} · "
        f"已放弃 dead {s.dead} · 回调订阅 webhooks {s.active_webhooks}"
    )
    if s.needs_attention:
        out.print("[red]需人工处理 / needs a person[/red]")
        raise typer.Exit(1)


@app.command("dead")
def dead() -> None:
    """Deliveries given up on (newest first), with their last error."""
    table = Table("id", "event", "topic", "target", "attempts", "last error")
    for d in services.list_deliveries(get_platform().uow(_system(), readonly=True)):
        table.add_row(
            str(d.id), str(d.message_id), d.topic, d.target, str(d.attempts), d.last_error or ""
        )
    out.print(table)


@app.command("requeue")
def requeue(
    delivery_ids: list[int] = typer.Argument(None, help="dead delivery ids"),
    all_dead: bool = typer.Option(False, "--all-dead", help="every dead delivery"),
    as_user: str | None = AS_OPTION,
) -> None:
    """Give dead deliveries a fresh set of attempts (audited)."""
    if bool(delivery_ids) == all_dead:
        out.print("[red]error:[/red] name delivery ids or --all-dead (not both)")
        raise typer.Exit(2)
    actor = acting_with(as_user, Perm.EVENTS_MANAGE)
    result = run(
        lambda: services.do_requeue(
            get_platform().uow(actor), None if all_dead else list(delivery_ids)
        )
    )
    out.print(f"重新排队 requeued {result.requeued}")


@webhooks_app.command("list")
def list_webhooks() -> None:
    table = Table("id", "name", "active", "created by")
    table.add_column("url", overflow="fold")
    table.add_column("events", overflow="fold")
    for w in services.list_webhooks(get_platform().uow(_system(), readonly=True)):
        table.add_row(str(w.id), w.name, "yes" if w.active else "no", w.created_by, w.url, w.events)
    out.print(table)


@webhooks_app.command("add")
def add_webhook(
    name: str = typer.Option(..., help="a name for people"),
    url: str = typer.Option(..., help="http(s) endpoint receiving signed POSTs"),
    events: str = typer.Option("*", help="event names, prefixes ending in *, comma-separated"),
    as_user: str | None = AS_OPTION,
) -> None:
    """Register a webhook; prints its signing secret once."""
    actor = acting_with(as_user, Perm.EVENTS_MANAGE)
    created = run(
        lambda: services.do_create_webhook(
            get_platform().uow(actor), WebhookCreate(name=name, url=url, events=events)
        )
    )
    out.print(f"webhook {created.webhook.id} {created.webhook.name}")
    out.print(f"secret (shown once / 仅显示一次): {created.secret}")


@webhooks_app.command("disable")
def disable_webhook(
    webhook_id: int = typer.Argument(..., help="webhook id"), as_user: str | None = AS_OPTION
) -> None:
    """Stop delivering to a webhook; its waiting and dead deliveries are dropped."""
    actor = acting_with(as_user, Perm.EVENTS_MANAGE)
    hook = run(lambda: services.do_disable_webhook(get_platform().uow(actor), webhook_id))
    out.print(f"webhook {hook.id} disabled")
