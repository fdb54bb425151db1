"""FastAPI dependencies that turn a request into an authenticated, authorised :class:`Actor`.

Every route declares exactly one :class:`Guard` (``require``/``require_page``/``public``);
the permission matrix in ``tests/permissions`` reads the guards off the routes, so a new
route is covered the moment it exists.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from fastapi import Request

from safegrid.bootstrap import get_platform
from safegrid.platform.errors import AuthenticationError, PermissionDeniedError
from safegrid.security import admin_networks, authn, token_batches
from safegrid.security.actor import Actor, Channel
from safegrid.security.models import SessionStage
from safegrid.security.policy import ADMIN_PERMS, Perm

SESSION_COOKIE = "sg_session"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class SetupRequiredError(PermissionDeniedError):
    """The session may only finish the password change / TOTP enrolment."""

    def __init__(self, stage: SessionStage) -> None:
        super().__init__(
            "请先完成改密/动态口令绑定 / finish the password change or one-time code enrolment first"
        )
        self.stage = stage


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def read_token(request: Request) -> tuple[str, authn.SessionKind] | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), "api"
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie, "console"
    return None


@dataclasses.dataclass(frozen=True)
class Guard:
    perm: Perm | None
    kind: Literal["api", "page"]
    allow_setup: bool = False  # reachable by a session that must still change password / enrol

    async def __call__(self, request: Request) -> Actor:
        # async: the token is resolved by the process's resolver thread, together with the
        # other requests' (``token_batches``); no worker thread waits here.
        token, kind = self._token(request)
        return self._admit(request, kind, await token_batches.resolve(get_platform(), token, kind))

    def identify(self, request: Request) -> Actor:
        """The same, resolved in the calling thread: for an error page that looks the
        session up once more after the route's guard refused or never ran."""
        token, kind = self._token(request)
        return self._admit(request, kind, token_batches.resolve_here(get_platform(), token, kind))

    def _token(self, request: Request) -> tuple[str, authn.SessionKind]:
        found = read_token(request)
        if found is None:
            raise AuthenticationError("未登录 / not signed in")
        token, kind = found
        if self.kind == "api" and kind == "console" and request.method not in _READS:
            # The console's cookie rides along on any request the browser makes, also one a
            # foreign page starts; the API takes writes with a bearer token only (ADR 0022).
            raise AuthenticationError(
                "接口写操作须使用令牌 / API writes need an Authorization: Bearer token"
            )
        return token, kind

    def _admit(
        self, request: Request, kind: authn.SessionKind, resolved: authn.ResolvedSession
    ) -> Actor:
        if resolved.stage != SessionStage.FULL and not self.allow_setup:
            raise SetupRequiredError(resolved.stage)
        channel: Channel = "api" if kind == "api" or self.kind == "api" else "web"
        actor = authn.actor_for(
            resolved.account,
            resolved.org_path,
            channel,
            client_ip(request),
            resolved.session_id,
            resolved.reading_area_ids,
            resolved.contractor,
        )
        if self.perm is not None and not actor.can(self.perm):
            raise PermissionDeniedError(f"无权限 / permission {self.perm.value} required")
        if self.perm in ADMIN_PERMS and not admin_networks.allowed(client_ip(request)):
            raise PermissionDeniedError(
                "管理功能只能从管理网络使用 / administration functions only from an "
                "administration network"
            )
        request.state.actor = actor
        request.state.locale = resolved.locale
        request.state.stage = resolved.stage
        return actor


@dataclasses.dataclass(frozen=True)
class Public:
    """Marks a route that needs no session (login, health, static). Listed explicitly."""

    reason: str

    async def __call__(self) -> None:
        # async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop
        # per request for a marker that does nothing.
        return None


def require(perm: Perm | None) -> Guard:
    """API route guard. ``None``: any signed-in staff member."""
    return Guard(perm, "api")


def require_page(perm: Perm | None, *, allow_setup: bool = False) -> Guard:
    return Guard(perm, "page", allow_setup)


def public(reason: str) -> Public:
    return Public(reason)
