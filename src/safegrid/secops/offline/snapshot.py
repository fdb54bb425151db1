"""What a hall's offline node carries (OPS-6, ADR 0035): the rows its counter pages read,
copied from the server into the node's own SafeGrid database.

* the org tree; the hall's counter staff (posts holding a counter permission, posted at the
  hall or the unit above it) with their sign-in material — password hash and one-time-code
  secret — so they sign in on the node with their own accounts;
* the accounts the hall's counter serves (the unit above the hall and everything under it),
  their customers, open bills, credit, and what a bill's balance is computed from;
* every row those rows reference (bill runs, tariff versions…), so the node's foreign keys
  hold.

Rows go as JSON sealed with the node's SM4 key (the server decrypts the DATA-2 columns with
its key ring; the node's mapping layer encrypts them again under the node's own master key,
so they rest encrypted with the node key). The staff rows are sent again at every sync: a
member of staff frozen or gone since cannot sign in on the node after it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Connection, Table, TypeDecorator, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from safegrid.billing.models import BillStatus
from safegrid.platform.db import Base
from safegrid.security.models import AccountStatus
from safegrid.security.policy import POLICY, Perm, Post

STAFF = ("org_units", "staff_accounts")
CUSTOMERS = ("accounts", "bills", "account_credits", "write_offs", "late_fee_accruals")
COUNTER_PERMS = frozenset({Perm.COUNTER_PAY, Perm.COUNTER_CHECK, Perm.COUNTER_SETTLE})
_CHUNK = 500
# Unique references the node's own ledger also writes ("payment:<id>…", its ids counted
# from its own tables): the carried ones get a prefix so the two never meet on the node.
NAMESPACED = {"collection_postings": "reference", "write_offs": "reference"}
CARRIED = "c:"
# The node's own sign-in state: a refresh must not reset its failure count or lockout, nor
# let a one-time code the node has seen be used there again.
NODE_LOCAL = {
    "staff_accounts": frozenset(
        {"totp_last_step", "failed_logins", "locked_until", "last_login_at"}
    )
}

Rows = dict[str, list[dict[str, Any]]]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _counter_posts() -> list[Post]:
    return [post for post, perms in POLICY.items() if perms & COUNTER_PERMS]


def _select_in(conn: Connection, table: Table, column: str, values: Iterable[Any]) -> list[Any]:
    found: list[Any] = []
    ordered = sorted(set(values))
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        found.extend(conn.execute(select(table).where(table.c[column].in_(chunk))).mappings())
    return found


def export(conn: Connection, hall_id: int, *, staff_only: bool) -> Rows:
    """The node's rows for ``hall_id`` (a connection that sees the whole utility)."""
    units = _table("org_units")
    hall = conn.execute(select(units).where(units.c.id == hall_id)).mappings().one()
    served = conn.execute(select(units).where(units.c.id == hall["parent_id"])).mappings().one()
    staff = _table("staff_accounts")
    found: dict[str, dict[Any, dict[str, Any]]] = {
        "org_units": {r["id"]: dict(r) for r in conn.execute(select(units)).mappings()},
        "staff_accounts": {
            r["id"]: dict(r)
            for r in conn.execute(
                select(staff).where(
                    staff.c.org_unit_id.in_([hall["id"], served["id"]]),
                    staff.c.post.in_(_counter_posts()),
                )
            ).mappings()
        },
    }
    if not staff_only:
        accounts, bills = _table("accounts"), _table("bills")
        inside = select(units.c.id).where(units.c.path.startswith(served["path"]))
        account_rows = conn.execute(select(accounts).where(accounts.c.org_unit_id.in_(inside)))
        found["accounts"] = {r["id"]: dict(r) for r in account_rows.mappings()}
        ids = list(found["accounts"])
        bill_rows = [
            r
            for r in _select_in(conn, bills, "account_id", ids)
            if r["status"] == BillStatus.ISSUED
        ]
        found["bills"] = {r["id"]: dict(r) for r in bill_rows}
        credits = _table("account_credits")
        found["account_credits"] = {
            tuple(r[c.name] for c in credits.primary_key): dict(r)
            for r in _select_in(conn, credits, "account_id", ids)
        }
        for name in ("write_offs", "late_fee_accruals"):
            rows = _select_in(conn, _table(name), "bill_id", found["bills"])
            found[name] = {r["id"]: dict(r) for r in rows}
        _referenced(conn, found)
        for name, column in NAMESPACED.items():
            for row in found.get(name, {}).values():
                if row.get(column) is not None:
                    row[column] = CARRIED + str(row[column])
    return {name: list(rows.values()) for name, rows in found.items()}


def _referenced(conn: Connection, found: dict[str, dict[Any, dict[str, Any]]]) -> None:
    """Add every row the found rows reference, until nothing is missing."""
    missing = True
    while missing:
        missing = False
        for name in list(found):
            for fk in _table(name).foreign_keys:
                target = fk.column.table
                if target.name == "staff_accounts":  # sign-in material: the seed set only
                    continue
                have = found.setdefault(target.name, {})
                wanted = {
                    row[fk.parent.name]
                    for row in found[name].values()
                    if row.get(fk.parent.name) is not None
                } - set(have)
                if not wanted:
                    continue
                missing = True
                for row in _select_in(conn, target, fk.column.name, wanted):
                    have[row[fk.column.name]] = dict(row)
                # A reference that does not resolve is the server's own broken row: stop.
                have.update({key: {} for key in wanted - set(have)})


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode(rows: Rows) -> list[dict[str, Any]]:
    return [
        {"table": name, "rows": [{k: _plain(v) for k, v in r.items()} for r in table if r]}
        for name, table in rows.items()
    ]


def _typed(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    try:
        kind = sql_type.python_type
    except NotImplementedError:
        return value
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    return value


def load(conn: Connection, payload: list[dict[str, Any]]) -> dict[str, int]:
    """Upsert the rows into the node's database, parents first; how many per table."""
    by_name = {part["table"]: part["rows"] for part in payload}
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        rows = by_name.get(table.name)
        if not rows:
            continue
        if any(fk.column.table is table for fk in table.foreign_keys):
            # Parents first within the table too (the org tree by its path).
            rows = sorted(rows, key=lambda r: (len(r.get("path") or ""), r.get("id") or 0))
        typed = [
            {c.name: _typed(c, r.get(c.name)) for c in table.columns if c.name in r} for r in rows
        ]
        stmt = sqlite_insert(table)
        keys = [c.name for c in table.primary_key]
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_={
                c.name: stmt.excluded[c.name]
                for c in table.columns
                if c.name not in keys and c.name not in NODE_LOCAL.get(table.name, ())
            },
        )
        for i in range(0, len(typed), _CHUNK):
            conn.execute(stmt, typed[i : i + _CHUNK])
        counts[table.name] = len(typed)
    if "staff_accounts" in by_name:
        counts["staff_retired"] = _retire_absent(conn, [r["id"] for r in by_name["staff_accounts"]])
    return counts


def _retire_absent(conn: Connection, carried: list[int]) -> int:
    """The carried staff are the hall's whole counter staff: whoever the node still has and
    the server no longer sends (moved to another unit or post) cannot sign in any more."""
    staff = _table("staff_accounts")
    done = conn.execute(
        update(staff)
        .where(staff.c.id.not_in(carried), staff.c.status != AccountStatus.DISABLED)
        .values(status=AccountStatus.DISABLED)
    )
    return int(done.rowcount or 0)
