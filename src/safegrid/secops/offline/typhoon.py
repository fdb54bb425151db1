"""The typhoon drill against a central database (OPS-6, ADR 0035): a hall with an active
cashier and checker and no active node, customers of the cashier's scope with an open bill,
the hall's node registered and claimed over the drill's link, both applications in process
— then :func:`.drill.run`. ``safegrid offline drill`` runs it on a scratch copy of the
SQLite database; tests/integration/secops/test_offline_drill_postgres.py against a
PostgreSQL one.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.bootstrap import Platform
from safegrid.collection.balances import balances, yuan
from safegrid.customers.models import Account
from safegrid.payments.counter import halls
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.secops.offline import drill
from safegrid.secops.offline import site as site_mod
from safegrid.secops.offline.in_process import AppClient
from safegrid.secops.offline.models import OfflineNode
from safegrid.secops.offline.nodes import do_register_node
from safegrid.security import authn
from safegrid.security.actor import Actor
from safegrid.security.cli_identity import actor_from_username
from safegrid.security.models import AccountStatus, AuthSession, SessionStage, StaffAccount
from safegrid.security.policy import Post
from safegrid.security.scope import unscoped


def _cast(platform: Platform) -> tuple[StaffAccount, StaffAccount, int]:
    """A cashier and a checker of one hall, and the hall."""
    with platform.uow(Actor.system("offline-drill", "cli"), readonly=True) as uow:
        skip = unscoped("the drill looks for a hall's pair of staff across the utility")
        paired = set(
            uow.session.scalars(
                select(OfflineNode.org_unit_id).where(OfflineNode.active), execution_options=skip
            )
        )
        staff = uow.session.scalars(
            select(StaffAccount)
            .where(
                StaffAccount.status == AccountStatus.ACTIVE,
                StaffAccount.post.in_([Post.CASHIER, Post.CHECKER]),
            )
            .order_by(StaffAccount.id),
            execution_options=skip,
        ).all()
        for cashier in (s for s in staff if s.post == Post.CASHIER):
            checker = next(
                (
                    s
                    for s in staff
                    if s.post == Post.CHECKER and s.org_unit_id == cashier.org_unit_id
                ),
                None,
            )
            # A hall that has a node keeps its own offline series: the drill pairs another.
            found = [h for h in halls.halls_of(uow, cashier.org_unit_id) if h.id not in paired]
            if checker is not None and found:
                return cashier, checker, found[0].id
    raise ValidationProblem(
        "没有可演练的营业厅 / no hall without an offline node has an active cashier and checker"
    )


def _customers(platform: Platform, cashier: str, n: int) -> list[drill.Customer]:
    """Accounts of the cashier's scope, each with one open bill (its outstanding total)."""
    with platform.uow(actor_from_username(platform, cashier), readonly=True) as uow:
        rows = uow.session.execute(
            select(Bill.id, Account.id, Account.number)
            .join(Account, Account.id == Bill.account_id)
            .where(Bill.kind == BillKind.NORMAL, Bill.status == BillStatus.ISSUED)
            .order_by(Bill.id.desc())
            .limit(200)
        ).all()
        owed = balances(uow.session, [r[0] for r in rows])
    chosen: dict[int, drill.Customer] = {}
    for bill_id, account_id, number in rows:
        b = owed.get(bill_id)
        if b is None or account_id in chosen:
            continue
        due = yuan(b.principal_out_fen + b.fee_out_fen)
        if due > 0 and due <= 5000:
            chosen[account_id] = drill.Customer(number, account_id, bill_id, due)
    if len(chosen) < n:
        raise ValidationProblem(
            f"演练需要 {n} 个有未缴账单的户 / the drill needs {n} accounts with an open bill in scope"
        )
    return list(chosen.values())[:n]


def _bearer(platform: Platform, account_id: int) -> dict[str, str]:
    # A session of the drill's own on the central database and on the node.
    token, now = secrets.token_urlsafe(32), clock.now()
    with platform.engine.begin() as conn:
        conn.execute(
            insert(AuthSession).values(
                account_id=account_id,
                token_hash=authn.token_digest(token),
                kind="api",
                stage=SessionStage.FULL.value,
                ip=None,
                user_agent="offline drill",
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
    return {"Authorization": f"Bearer {token}"}


def drill_on(platform: Platform, node_dir: Path, offline_payments: int) -> drill.DrillReport:
    cashier, checker, hall_id = _cast(platform)
    customers = _customers(platform, cashier.username, offline_payments + 1)
    admin = Actor.system("offline-drill", "cli")
    code = do_register_node(platform.uow(admin), hall_id, f"DRILL-{secrets.token_hex(3)}")
    link = drill.Link(AppClient(platform))
    client = httpx.Client(transport=link, base_url="http://drill-server")
    site = site_mod.claim(node_dir, client, code.pairing_code)
    node_platform = site.platform()
    try:
        hall = drill.Hall(
            site,
            AppClient(node_platform),
            _bearer(node_platform, cashier.id),
            _bearer(node_platform, checker.id),
        )
        headers = _bearer(platform, cashier.id)
        return drill.run(platform, client, link, hall, headers, customers=customers)
    finally:
        node_platform.dispose()
