"""Who a CLI command acts as: a named, active staff account, so CLI changes carry the same
scope and audit trail as the console (AUD-1). The OS user is recorded as the origin."""

from __future__ import annotations

import getpass
import socket

from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.org.models import OrgUnit
from safegrid.platform.errors import AuthenticationError
from safegrid.security import authn
from safegrid.security.actor import Actor
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.scope import unscoped


def cli_origin() -> str:
    return f"cli:{getpass.getuser()}@{socket.gethostname()}"[:64]


def actor_from_username(platform: Platform, username: str) -> Actor:
    with platform.uow(Actor.system("cli-identity", "cli"), readonly=True) as uow:
        row = uow.session.execute(
            select(StaffAccount, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == StaffAccount.org_unit_id)
            .where(StaffAccount.username == username),
            execution_options=unscoped("the CLI user's account, before it has a scope"),
        ).first()
        if row is None:
            raise AuthenticationError(f"no staff account named {username!r}")
        account, path = row
        if account.status != AccountStatus.ACTIVE:
            raise AuthenticationError(f"account {username!r} is {account.status.value}")
        areas = authn.reading_areas_of(uow.session, account)
        contractor = authn.contractor_of(uow.session, account)
        return authn.actor_for(account, path, "cli", cli_origin(), None, areas, contractor)
