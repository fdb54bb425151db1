"""``safegrid demo``: build the demo utility and show how to sign in to it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from safegrid.bootstrap import get_platform
from safegrid.cli_support import err, reported
from safegrid.demo import billing as demo_billing
from safegrid.demo import logins as demo_logins
from safegrid.demo import portal as portal_demo
from safegrid.demo import workday
from safegrid.demo.generator import DemoSummary, complete_history, demo_exists, generate
from safegrid.demo.organisation import DEMO_PASSWORD, username
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError
from safegrid.security.policy import Post
from safegrid.terminals import demo as terminal_demo

app = typer.Typer(help="演示数据 / demo utility (development only)", no_args_is_help=True)
app.command("portal-code")(portal_demo.portal_code)
console = Console()
T = TypeVar("T")
_LATER = " (待生成 / to come: safegrid demo history)"
_NO_DEMO = "还没有演示数据 / no demo data yet: run `safegrid demo generate` first"
_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
    TimeRemainingColumn(),
)
_EXISTS = (
    "数据库中已有组织数据 / the database already holds an org tree. Delete "
    "var/safegrid.db (or point SAFEGRID_DATABASE_URL at an empty database) to start over, "
    "or pass --if-empty to leave it as it is."
)


@app.command("generate")
def generate_command(
    seed: int = typer.Option(2026, help="random seed; the same seed gives the same utility"),
    customers: int = typer.Option(20_000, min=1, help="number of customers (≈5 % enterprises)"),
    # 400 days: the last 12 complete months (closeable and billable) plus this month so far.
    days: int = typer.Option(400, min=1, max=3660, help="days of daily readings, ending yesterday"),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="do nothing (exit 0) when the database already has data"
    ),
    core_only: bool = typer.Option(
        False,
        "--core-only",
        help="only the org, staff, customers and tariffs; `safegrid demo history` adds the "
        "readings, bills and payments (make demo runs it in the background)",
    ),
) -> None:
    """Build a realistic utility: org tree, staff of every post, customers, a year of readings,
    bills and payments."""
    platform = get_platform()
    if platform.settings.env == "prod":
        # 210 accounts with a published password would be a back door into production.
        err.print("[red]error:[/red] 演示数据不能写入生产库 / no demo data when SAFEGRID_ENV=prod")
        raise typer.Exit(1)
    platform.migrate()
    if demo_exists(platform):
        if if_empty:
            console.print("演示数据已存在 / demo data already exists — nothing to do.")
            return
        err.print(f"[red]error:[/red] {_EXISTS}")
        raise typer.Exit(1)
    with reported(), Progress(*_COLUMNS, console=console) as progress:
        # Another process may have filled the database since the check above.
        summary = generate(
            platform,
            seed=seed,
            customers=customers,
            days=days,
            progress=progress,
            with_history=not core_only,
        )
        corrected = None if core_only else demo_billing.correct_one_account(platform)
        work = None if core_only else workday.leave_work(platform)
    _print_summary(summary, history_done=not core_only)
    _print_correction(corrected)
    _print_work(work)
    console.print(
        "Sign-in details: [bold]safegrid demo logins[/bold] "
        "(one-time codes: [bold]safegrid demo otp USERNAME[/bold])"
    )


@app.command()
def history() -> None:
    """Fill the demo's history (daily readings, bills, direct-debit payments) month by month;
    resumes where an interrupted run stopped, does nothing once it is complete."""
    platform = get_platform()
    with reported(), Progress(*_COLUMNS, console=console) as progress:
        started = time.perf_counter()
        done = complete_history(platform, progress)
    if done is None:
        console.print("没有待生成的演示历史 / no demo history planned in this database.")
        return
    with reported():
        _print_correction(demo_billing.correct_one_account(platform))
        _print_work(workday.leave_work(platform))
    console.print(
        f"演示历史已完成 / demo history complete: {done.readings:,} readings, "
        f"{done.bills:,} bills, {done.payments:,} payments "
        f"(this run {time.perf_counter() - started:.1f} s)"
    )


def _print_work(work: workday.WorkLeft | None) -> None:
    if work is not None:
        console.print(
            f"今日待办 / today's work: {work.receipts} receipts waiting for a checker, "
            f"{work.requests} data-use requests waiting for a head, arrears run {work.arrears_run}, "
            f"{work.shortages} cash shortages for a cashier to acknowledge, "
            f"{work.walking_orders} walking orders set, {work.reviews} readings waiting for review, "
            f"{work.corrections} usage corrections waiting for finance"
        )


def _print_correction(corrected: demo_billing.DemoCorrection | None) -> None:
    if corrected is not None:
        console.print(
            f"退补 / corrected: account [bold]{corrected.account_number}[/bold], "
            f"{corrected.period} +{demo_billing.CORRECTION_KWH} kWh, {corrected.months} months "
            f"re-priced ({corrected.difference:+} yuan)"
        )


def _print_summary(s: DemoSummary, *, history_done: bool) -> None:
    table = Table(title=f"演示数据 / demo utility (seed {s.seed})", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in (
        ("组织单位 / org units", s.units),
        ("员工账号 / staff accounts", s.staff),
        ("抄表段 / reading areas", s.reading_areas),
        ("居民客户 / residents", s.residents),
        ("企业客户 / enterprises", f"{s.enterprises} ({s.key_customers} key)"),
        ("电能表 / meters", s.meters),
        ("日读数 / daily readings", f"{s.readings:,}" + ("" if history_done else _LATER)),
        ("读数日期 / days", f"{s.first_day} … {s.last_day}"),
        ("已出电费账单 / bills issued", f"{s.bills:,}" if history_done else _LATER),
        (
            "已缴费（银行代扣）/ bills paid by direct debit",
            f"{s.payments:,}" if history_done else _LATER,
        ),
        ("用时 / took", f"{s.seconds:.1f} s"),
    ):
        table.add_row(label, str(value))
    console.print(table)


def _load_or_none(load: Callable[[], T]) -> T | None:
    try:
        return load()
    except DBAPIError:  # no schema yet: the demo was never generated here
        return None


@app.command()
def logins() -> None:
    """Show the demo sign-ins (dev only) and write all of them to var/demo-logins.txt."""
    platform = get_platform()
    with reported():
        every = _load_or_none(
            lambda: demo_logins.load_logins(
                platform, demo_logins.demo_usernames(), purpose="demo logins"
            )
        )
        if not every:
            raise NotFoundError(_NO_DEMO)
    by_name = {login.username: login for login in every}
    now = clock.now()
    table = Table(title="演示账号 / demo logins", caption=f"全部 / all: {len(every)}")
    # Cells fold on narrow terminals rather than being cut off with "…" (a truncated
    # secret is useless). The password column only when it fits: it is the same for
    # everyone and printed below the table anyway.
    wide = console.width >= 130
    table.add_column("用户名 / username", overflow="fold")
    table.add_column("岗位 / post", overflow="fold")
    table.add_column("单位 / unit", overflow="fold")
    if wide:
        table.add_column("密码 / password", overflow="fold")
    table.add_column("TOTP secret", overflow="fold")
    table.add_column("当前口令 / code", justify="right", overflow="fold")
    for post, code in demo_logins.FEATURED:
        login = by_name.get(username(post, code))
        if login is None:
            continue
        otp_code, left = demo_logins.current_code(login.totp_secret, now)
        password = [login.password] if wide else []
        table.add_row(
            login.username,
            login.post_label,
            login.unit_name,
            *password,
            login.totp_secret,
            f"{otp_code} ({left}s)",
        )
    console.print(table)
    console.print(f"密码 / password (every demo account): [bold]{DEMO_PASSWORD}[/bold]")
    path = demo_logins.logins_path(platform.settings)
    demo_logins.write_logins_file(path, every)
    console.print(f"All {len(every)} demo accounts (with TOTP secrets) written to {path}")
    console.print("A fresh one-time code for any of them: [bold]safegrid demo otp USERNAME[/bold]")
    for line in portal_demo.how_to_sign_in():
        console.print(line, markup=False)
    for line in terminal_demo.how_to_try(
        username(Post.SYSTEM_ADMIN, "zj"), username(Post.METER_READER, "zj-hz-fy-st")
    ):
        console.print(line, markup=False)


@app.command()
def otp(
    name: str = typer.Argument(
        ..., metavar="USERNAME", help="a demo account, e.g. hall_agent.zj-hz-fy"
    ),
) -> None:
    """Print the current TOTP code of a demo account (dev only)."""
    with reported():
        login = _load_or_none(lambda: demo_logins.login_for(get_platform(), name))
        if login is None:
            raise NotFoundError(_NO_DEMO)
    code, left = demo_logins.current_code(login.totp_secret, clock.now())
    console.print(
        f"{code}  (valid {left}s more) — {login.username} {login.post_label} {login.unit_name}"
    )
