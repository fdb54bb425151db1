"""Demo portal customers (HALL-6): a few mobile numbers that have signed in before and bound
accounts of the demo archive, so a newcomer can open the portal at once. A fast step of
``demo generate --core-only`` (a handful of rows). ``safegrid demo portal-code MOBILE``
prints the code the sandbox SMS outbox holds for a number (dev only)."""

from __future__ import annotations

import re
from typing import Final

import typer
from sqlalchemy import select

from safegrid.bootstrap import Platform, get_platform
from safegrid.cli_support import reported
from safegrid.customers.models import Account, Customer, CustomerKind
from safegrid.demo.advice import SHOP_MOBILE
from safegrid.demo.logins import require_dev
from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError
from safegrid.portal.models import PortalBinding, PortalCustomer
from safegrid.portal.signin import TOPIC
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped

# (mobile, how many of the first resident accounts it holds)
CUSTOMERS: Final = (("13800138001", 2), ("13800138002", 1), ("13800138003", 1))


def seed_portal_customers(platform: Platform) -> list[tuple[str, list[str]]]:
    """Binds the first resident accounts to the demo numbers; returns (mobile, accounts)."""
    now = clock.now()
    wanted = sum(n for _, n in CUSTOMERS)
    made: list[tuple[str, list[str]]] = []
    with platform.uow(Actor.system("demo-generate", channel="cli")) as uow:
        s = uow.session
        rows = s.execute(
            select(Account.id, Account.number, Account.org_unit_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Customer.kind == CustomerKind.RESIDENT)
            .order_by(Account.number)
            .limit(wanted),
            execution_options=unscoped("the demo binds accounts of any unit"),
        ).all()
        taken = iter(rows)
        for mobile, count in CUSTOMERS:
            person = PortalCustomer(mobile=mobile, created_at=now, last_sign_in_at=now)
            s.add(person)
            s.flush()
            numbers = []
            for account_id, number, unit in (next(taken) for _ in range(count)):
                s.add(
                    PortalBinding(
                        customer_id=person.id,
                        account_id=account_id,
                        bound_at=now,
                        org_unit_id=unit,
                    )
                )
                numbers.append(number)
            made.append((mobile, numbers))
        uow.audit(
            "demo.portal_customers",
            object_type="portal_customer",
            after={"customers": len(made), "bindings": wanted},
        )
        uow.commit()
    return made


def how_to_sign_in() -> list[str]:
    """What ``safegrid demo logins`` (and make demo) print about the portal."""
    numbers = ", ".join(m for m, _ in CUSTOMERS)
    return [
        "网上营业厅 / customer portal (phone): /portal/login on the console — mobile "
        f"{numbers} (accounts already bound);",
        "  after 获取验证码 / Send code, the SMS is in the sandbox outbox: "
        "safegrid demo portal-code MOBILE;",
        f"  {SHOP_MOBILE}: a business account with tariff advice (电价建议), bound once the "
        "demo history is complete",
    ]


def portal_code(
    mobile: str = typer.Argument(..., metavar="MOBILE", help="a demo portal number"),
) -> None:
    """Print the latest portal sign-in code the sandbox SMS outbox holds for MOBILE (dev)."""
    platform = get_platform()
    with reported():
        require_dev(platform.settings)
        with platform.uow(Actor.system("demo-portal-code", channel="cli"), readonly=True) as uow:
            # The recipient is encrypted: read the last few codes and compare decrypted.
            rows = uow.session.scalars(
                select(Notification)
                .where(Notification.topic == TOPIC)
                .order_by(Notification.id.desc())
                .limit(200)
            ).all()
            body = next((n.body for n in rows if n.recipient == mobile.strip()), None)
        if body is None:
            raise NotFoundError(
                "该号码没有验证码，请先在登录页获取 / no code for this number: press Send code "
                "on the portal's sign-in page first"
            )
    found = re.search(r"\d{6}", body)
    typer.echo(found.group(0) if found else body)
