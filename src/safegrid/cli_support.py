"""What every CLI sub-app shares: acting as a named account, and turning service errors
into a clear message and a non-zero exit instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import IntegrityError

from safegrid.bootstrap import get_platform
from safegrid.platform import integrity
from safegrid.platform.errors import SafeGridError
from safegrid.security.actor import Actor
from safegrid.security.cli_identity import actor_from_username
from safegrid.security.policy import Perm

T = TypeVar("T")
err = Console(stderr=True)

AS_OPTION = typer.Option(
    None, "--as", envvar="SAFEGRID_CLI_USER", help="staff username to act as (audited)"
)


def acting(username: str | None) -> Actor:
    if not username:
        err.print(
            "[red]error:[/red] name the staff account to act as: --as USERNAME "
            "(or SAFEGRID_CLI_USER)"
        )
        raise typer.Exit(2)
    return run(lambda: actor_from_username(get_platform(), username))


def acting_with(username: str | None, perm: Perm) -> Actor:
    """The acting account, if its post grants ``perm``: the CLI's equivalent of a route guard."""
    actor = acting(username)
    if not actor.can(perm):
        err.print(f"[red]error:[/red] {username} lacks permission {perm.value}")
        raise typer.Exit(1)
    return actor


@contextmanager
def reported() -> Iterator[None]:
    try:
        yield
    except SafeGridError as exc:
        where = f" ({exc.field})" if exc.field else ""
        err.print(f"[red]error{where}:[/red] {exc.message}")
        raise typer.Exit(1) from None
    except IntegrityError as exc:  # a race the service did not translate (ADR 0015)
        err.print(f"[red]conflict:[/red] {integrity.describe(exc)}")
        raise typer.Exit(1) from None
    except ValidationError as exc:
        for e in exc.errors():
            loc = ".".join(str(x) for x in e["loc"]) or "input"
            err.print(f"[red]invalid {loc}:[/red] {e['msg']}")
        raise typer.Exit(1) from None


def run(fn: Callable[[], T]) -> T:
    with reported():
        return fn()
    raise AssertionError("unreachable")  # pragma: no cover
