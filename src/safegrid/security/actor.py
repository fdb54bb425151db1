"""Who is acting, from where, through which entry point (AUD-1)."""

from __future__ import annotations

import dataclasses
from typing import Literal

from safegrid.security.policy import Perm, Post
from safegrid.security.scope import Scope

Channel = Literal["web", "api", "cli", "job"]


@dataclasses.dataclass(frozen=True)
class Actor:
    account_id: int | None
    username: str
    real_name: str
    post: Post | None
    org_unit_id: int | None
    permissions: frozenset[Perm]
    scope: Scope
    channel: Channel
    ip: str | None = None
    session_id: int | None = None

    def can(self, perm: Perm) -> bool:
        return perm in self.permissions

    @classmethod
    def system(cls, name: str, channel: Channel = "job") -> Actor:
        """The platform itself (migrations, demo generation, scheduled jobs): sees all,
        but is still named in every audit entry it causes."""
        return cls(
            account_id=None,
            username=f"system:{name}",
            real_name=name,
            post=None,
            org_unit_id=None,
            permissions=frozenset(Perm),
            scope=Scope.everything(),
            channel=channel,
        )
