"""The activity frame the detector reads (OPS-1): one row per thing a staff member did.

Columns: ``account_id``, ``at`` (UTC epoch seconds), ``network`` (IPv4 /24, IPv6 /64),
``kind`` (``write`` / ``export`` / ``reveal`` / ``login``), ``rows`` (records touched),
``unit_id`` (the org unit acted on), ``grant_id`` (reveals only). A second table,
``accounts``, carries each account's post and departure time. The database loader below
and the replay generator (:mod:`safegrid.secops.replay`) both produce exactly this shape,
so the detector has one path whether it reads the live logs or a planted scenario.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from datetime import datetime

import pyarrow as pa
from sqlalchemy import select

from safegrid.datause.models import AccessLog, ExportRecord
from safegrid.governance.models import DepartureNotice
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AuditEntry, AuthSession, StaffAccount
from safegrid.security.scope import unscoped

ACTIVITY_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("at", pa.int64()),
        ("network", pa.string()),
        ("kind", pa.string()),
        ("rows", pa.int64()),
        ("unit_id", pa.int64()),
        ("grant_id", pa.int64()),
    ]
)
ACCOUNT_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("username", pa.string()),
        ("post", pa.string()),
        ("unit_id", pa.int64()),
        ("departed_at", pa.int64()),
    ]
)


def network_of(ip: str | None) -> str:
    """The /24 (IPv4) or /64 (IPv6) an address sits in: a login location, not a machine."""
    if not ip:
        return "unknown"
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    prefix = 24 if addr.version == 4 else 64
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


@dataclasses.dataclass(frozen=True)
class Activity:
    events: pa.Table
    accounts: pa.Table


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def load(uow: UnitOfWork, since: datetime, until: datetime) -> Activity:
    """The logs between ``since`` and ``until`` as an activity frame, set-based: four
    range queries (audit, reveals, exports, logins), no per-account round trips."""
    opts = unscoped("behaviour analytics baselines every account of the utility")
    cols: dict[str, list[object]] = {name: [] for name in ACTIVITY_SCHEMA.names}

    def add(account: int | None, at: datetime, ip: str | None, kind: str, rows: int,
            unit: int | None, grant: int | None) -> None:  # fmt: skip
        cols["account_id"].append(account)
        cols["at"].append(_epoch(at))
        cols["network"].append(network_of(ip))
        cols["kind"].append(kind)
        cols["rows"].append(rows)
        cols["unit_id"].append(unit)
        cols["grant_id"].append(grant)

    with uow:
        s = uow.session
        audit = s.execute(
            select(AuditEntry.actor_id, AuditEntry.at, AuditEntry.ip, AuditEntry.org_unit_id).where(
                AuditEntry.at >= since,
                AuditEntry.at < until,
                AuditEntry.actor_id.is_not(None),
                AuditEntry.action.not_like("export.%"),
            ),
            execution_options=opts,
        )
        for actor, at, ip, unit in audit:
            add(actor, at, ip, "write", 1, unit, None)
        reveals = s.execute(
            select(
                AccessLog.staff_id, AccessLog.at, AccessLog.ip, AccessLog.org_unit_id,
                AccessLog.grant_id,
            ).where(
                AccessLog.at >= since,
                AccessLog.at < until,
                AccessLog.staff_id.is_not(None),
                AccessLog.export_id.is_(None),
            ),
            execution_options=opts,
        )  # fmt: skip
        for staff, at, ip, unit, grant in reveals:
            add(staff, at, ip, "reveal", 1, unit, grant)
        exports = s.execute(
            select(
                ExportRecord.operator_id, ExportRecord.at, ExportRecord.row_count,
                ExportRecord.org_unit_id,
            ).where(
                ExportRecord.at >= since,
                ExportRecord.at < until,
                ExportRecord.operator_id.is_not(None),
            ),
            execution_options=opts,
        )  # fmt: skip
        for operator, at, count, unit in exports:
            add(operator, at, None, "export", count, unit, None)
        logins = s.execute(
            select(
                AuthSession.account_id, AuthSession.created_at, AuthSession.ip,
                StaffAccount.org_unit_id,
            )
            .join(StaffAccount, StaffAccount.id == AuthSession.account_id)
            .where(AuthSession.created_at >= since, AuthSession.created_at < until),
            execution_options=opts,
        )  # fmt: skip
        for account, at, ip, unit in logins:
            add(account, at, ip, "login", 0, unit, None)
        departed = dict(
            (a, b)
            for a, b in s.execute(
                select(DepartureNotice.account_id, DepartureNotice.effective_at),
                execution_options=opts,
            ).all()
        )
        people = s.execute(
            select(
                StaffAccount.id, StaffAccount.username, StaffAccount.post,
                StaffAccount.org_unit_id,
            ),
            execution_options=opts,
        ).all()  # fmt: skip
    accounts = pa.table(
        {
            "account_id": [r[0] for r in people],
            "username": [r[1] for r in people],
            "post": [str(r[2]) for r in people],
            "unit_id": [r[3] for r in people],
            "departed_at": [_epoch(departed[r[0]]) if r[0] in departed else None for r in people],
        },
        schema=ACCOUNT_SCHEMA,
    )
    return Activity(pa.table(cols, schema=ACTIVITY_SCHEMA), accounts)
