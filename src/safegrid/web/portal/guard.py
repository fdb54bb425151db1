"""The portal's route guard: the fourth kind next to staff guards, public routes and
terminal guards. It opens a route only to a portal session (cookie ``sg_portal``); a staff
session, no cookie or a forged one is "not signed in" and goes to the portal's sign-in
page. The permission matrix reads it off the routes (tests/permissions)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Final

from fastapi import Depends, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.platform.errors import AuthenticationError
from safegrid.portal import signin
from safegrid.portal.identity import PortalIdentity, anonymous_actor
from safegrid.security.guards import client_ip

PORTAL_COOKIE: Final = "sg_portal"
LOGIN_PATH: Final = "/portal/login"


class PortalSignInRequired(AuthenticationError):
    """Answered with the portal's sign-in page, never the staff one (web/errors.py)."""


@dataclasses.dataclass(frozen=True)
class PortalGuard:
    purpose: str

    def __call__(self, request: Request) -> PortalIdentity:
        token = request.cookies.get(PORTAL_COOKIE, "")
        if not token:
            raise PortalSignInRequired("请先登录 / sign in first")
        ip = client_ip(request)
        try:
            me = signin.resolve(get_platform().uow(anonymous_actor(ip), readonly=True), token)
        except AuthenticationError as exc:
            raise PortalSignInRequired(exc.message) from None
        request.state.portal = me
        return me


def portal_page(purpose: str) -> PortalGuard:
    return PortalGuard(purpose)


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        PORTAL_COOKIE,
        token,
        max_age=int(signin.SESSION_FOR.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=get_platform().settings.cookie_secure,
        path="/portal",
    )


Me = Annotated[PortalIdentity, Depends(portal_page("a portal customer's own pages"))]
