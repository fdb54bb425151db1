"""``safegrid keys``: data key rotation and status (DATA-2); ``safegrid data inventory``
(DATA-1).

Rotation runs in this process while the server keeps serving from its own: the new key
is committed first, then stored values are re-encrypted batch by batch, the cryptography
in ``--processes`` worker processes.
"""

from __future__ import annotations

from collections import Counter

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting_with, run
from safegrid.security import key_rotation, key_store
from safegrid.security.classification import inventory
from safegrid.security.key_rotation import ReencryptResult
from safegrid.security.policy import Perm

app = typer.Typer(help="数据密钥 / data encryption keys", no_args_is_help=True)
data_app = typer.Typer(help="数据分类分级 / data classification", no_args_is_help=True)
out = Console()

BATCH_OPTION = typer.Option(1000, "--batch", min=1, help="rows per committed batch")
PROCESSES_OPTION = typer.Option(
    1,
    "--processes",
    min=1,
    help="worker processes, each re-encrypting whole batches with its own connection "
    "(1 = this process); more pays on PostgreSQL with idle cores, not on SQLite's one "
    "writer (ADR 0014)",
)


def _reencrypt(batch: int, processes: int) -> ReencryptResult:
    platform = get_platform()
    total = key_rotation.total_rows(platform.engine)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out) as bar:
        task = bar.add_task("重新加密 / re-encrypting", total=max(total, 1))
        result = key_rotation.reencrypt(
            platform.engine,
            platform.keyring,
            batch_size=batch,
            processes=processes,
            progress=lambda n: bar.advance(task, n),
        )
    out.print(
        f"[green]all values under key version {result.active_version}[/green]: "
        f"{result.values_rewritten} rewritten ({result.legacy_encrypted} legacy plaintext), "
        f"{result.indexes_filled} blind indexes filled, "
        f"{result.skipped_concurrent} left to concurrent writers, {result.rows_seen} rows read"
    )
    return result


@app.command()
def rotate(
    as_user: str | None = AS_OPTION,
    batch: int = BATCH_OPTION,
    processes: int = PROCESSES_OPTION,
) -> None:
    """Add a data key version, make it active, then re-encrypt every stored value."""
    actor = acting_with(as_user, Perm.KEYS_MANAGE)
    platform = get_platform()
    master = key_store.master_key(platform.settings)
    previous, version = run(
        lambda: key_rotation.do_rotate_key(platform.uow(actor), platform.keyring, master)
    )
    out.print(f"key version {version} active (was {previous}); old versions still decrypt")
    result = _reencrypt(batch, processes)
    run(lambda: key_rotation.do_record_reencryption(platform.uow(actor), result))


@app.command()
def reencrypt(
    as_user: str | None = AS_OPTION,
    batch: int = BATCH_OPTION,
    processes: int = PROCESSES_OPTION,
) -> None:
    """Re-encrypt values not under the active version (resumes an interrupted rotation;
    encrypts plaintext rows of a database upgraded from before encryption)."""
    actor = acting_with(as_user, Perm.KEYS_MANAGE)
    platform = get_platform()
    result = _reencrypt(batch, processes)
    run(lambda: key_rotation.do_record_reencryption(platform.uow(actor), result))


@app.command()
def status() -> None:
    """Key versions (no key material) and how many stored values each one encrypts."""
    platform = get_platform()
    keys = key_store.load_keys(platform.engine)
    counts = key_rotation.version_counts(platform.engine)
    totals: Counter[str] = Counter()
    for per_version in counts.values():
        totals.update(per_version)
    names = {str(k.version): f"v{k.version}{' (active)' if k.active else ''}" for k in keys}
    # One row per version (not a column each): years of rotations stay readable.
    table = Table(title="数据密钥 / data keys")
    table.add_column("version")
    table.add_column("stored values", justify="right")
    for k in keys:
        table.add_row(names[str(k.version)], str(totals.get(str(k.version), 0)))
    for v in sorted(set(totals) - set(names)):  # plaintext rows, or a version we lack
        table.add_row(f"[red]{v}[/red]", str(totals[v]))
    out.print(table)
    fields = Table(title="按字段 / by field")
    for name in ("field", "version", "values"):
        fields.add_column(name, justify="right" if name == "values" else "left")
    for field, per_version in counts.items():
        for v, n in sorted(per_version.items()) or [("—", 0)]:
            fields.add_row(field, names.get(v, f"[red]{v}[/red]") if v != "—" else v, str(n))
    out.print(fields)


@data_app.command("inventory")
def inventory_cmd(as_user: str | None = AS_OPTION) -> None:
    """Which tables hold which classes of sensitive data, and how many rows (DATA-1)."""
    actor = acting_with(as_user, Perm.DATA_INVENTORY_VIEW)
    rows = run(lambda: inventory(get_platform().uow(actor, readonly=True)))
    table = Table(title="敏感数据清单 / sensitive data inventory")
    for name in ("table", "column", "class", "encrypted", "searchable", "rows"):
        table.add_column(name, justify="right" if name == "rows" else "left")
    for r in rows:
        c = r.column
        table.add_row(
            c.table,
            c.column,
            c.kind,
            "SM4-GCM" if c.encrypted else "no",
            "blind index" if c.searchable else "no",
            str(r.rows),
        )
    out.print(table)
