"""Who is acting on the portal: a signed-in portal customer, named in the audit trail as
``portal:<id>``. He has no staff permissions; what he may see is his bindings, which the
portal's own queries (``portal.accounts``) apply to every read."""

from __future__ import annotations

import dataclasses

from safegrid.security.actor import Actor
from safegrid.security.scope import Scope


@dataclasses.dataclass(frozen=True)
class PortalIdentity:
    customer_id: int
    session_id: int
    masked_mobile: str
    ip: str | None = None

    @property
    def actor(self) -> Actor:
        return portal_customer_actor(self.customer_id, self.ip)


def portal_customer_actor(customer_id: int, ip: str | None) -> Actor:
    # Scope.everything(): a customer's accounts lie in any unit; the portal's queries are
    # restricted to his bound accounts instead (a narrower rule than any org subtree).
    return Actor(
        account_id=None,
        username=f"portal:{customer_id}",
        real_name="网上营业厅客户 / portal customer",
        post=None,
        org_unit_id=None,
        permissions=frozenset(),
        scope=Scope.everything(),
        channel="web",
        ip=ip,
    )


def anonymous_actor(ip: str | None) -> Actor:
    """Before sign-in: the person asking for a code."""
    return dataclasses.replace(portal_customer_actor(0, ip), username="portal:anonymous")
