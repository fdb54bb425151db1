"""Signing in and out, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.platform.errors import AuthenticationError
from safegrid.security import accounts, authn, passwords
from safegrid.security.actor import Actor
from safegrid.security.guards import SESSION_COOKIE, client_ip, public, require_page
from safegrid.security.lockout import LoginThrottledError
from safegrid.security.login_locations import SecondVerificationRequired
from safegrid.web import flash
from safegrid.web.errors import SETUP_PAGES, login_page, render_status
from safegrid.web.i18n import LANG_COOKIE, as_locale
from safegrid.web.page_access import SetupPage
from safegrid.web.redirects import safe_next, see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

# Resolves the session of a public page when there is one (the language switch).
_optional_session = require_page(None, allow_setup=True)


@router.get("/login", dependencies=[Depends(public("login form"))])
def login_form(
    request: Request, next_path: str = Query("/", alias="next", max_length=2048)
) -> Response:
    return login_page(request, next_path=next_path)


@router.post("/login", dependencies=[Depends(public("login"))])
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    otp: Annotated[str, Form(max_length=8)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2048)] = "/",
) -> Response:
    platform = get_platform()
    settings = platform.settings
    try:
        result = authn.login(
            platform.uow(Actor.system("authn", "web")),
            username,
            password,
            otp.strip(),
            kind="console",
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            session_hours=settings.session_hours,
            hasher=passwords.hasher(settings.argon2_time_cost, settings.argon2_memory_kib),
        )
    except SecondVerificationRequired as challenge:
        return _verify_page(request, challenge.challenge_id, challenge.sent_to, next_path)
    except (AuthenticationError, LoginThrottledError) as exc:  # locked: same as wrong
        # The service's message never says which of the three was wrong.
        return login_page(
            request,
            next_path=next_path,
            error=exc.message,
            username=username[:64],
            status_code=exc.status_code,
        )
    return _signed_in(request, result, next_path)


def _verify_page(
    request: Request,
    challenge_id: str,
    sent_to: str,
    next_path: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "auth/verify_location.html",
        {
            "challenge_id": challenge_id,
            "sent_to": sent_to,
            "next": safe_next(next_path),
            "error": error,
        },
        status_code=status_code,
    )


@router.post("/login/verify", dependencies=[Depends(public("login second verification"))])
def login_verify(
    request: Request,
    challenge_id: Annotated[str, Form(max_length=64)] = "",
    code: Annotated[str, Form(max_length=8)] = "",
    sent_to: Annotated[str, Form(max_length=16)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2048)] = "/",
) -> Response:
    """Second step of a login from a new location: the SMS code (IAM-3)."""
    try:
        result = authn.verify_location(
            get_platform().uow(Actor.system("authn", "web")),
            challenge_id,
            code,
            ip=client_ip(request),
        )
    except AuthenticationError as exc:
        if exc.message == authn.CHALLENGE_GONE:
            return login_page(request, next_path=next_path, error=exc.message, status_code=401)
        return _verify_page(request, challenge_id, sent_to, next_path, exc.message, 401)
    return _signed_in(request, result, next_path)


def _signed_in(request: Request, result: authn.LoginResult, next_path: str) -> Response:
    settings = get_platform().settings
    target = SETUP_PAGES.get(result.stage, safe_next(next_path))
    response = see_other(request, target)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/",
        # No max-age: the cookie dies with the browser (shared hall PCs); the server-side
        # session expires after settings.session_hours regardless.
    )
    return response


@router.post("/logout")
def logout(request: Request, work: SetupPage) -> Response:
    if work.actor.session_id is not None:
        authn.logout(work.write(), work.actor.session_id)
    response = see_other(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    flash.flash(response, "signed_out")
    return response


@router.get("/lang/{code}", dependencies=[Depends(public("language switch"))])
def switch_language(
    request: Request, code: str, next_path: str = Query("/", alias="next", max_length=2048)
) -> Response:
    locale = as_locale(code)
    if locale is None:
        return render_status(request, 404)
    if request.cookies.get(SESSION_COOKIE):
        try:
            actor = _optional_session.identify(request)
        except AuthenticationError:
            actor = None
        if actor is not None and actor.session_id is not None:
            # Stored on the session too, so the choice follows the user, not just the browser.
            accounts.do_set_session_locale(get_platform().uow(actor), locale)
    response = see_other(request, safe_next(next_path, allow_auth_pages=True))
    response.set_cookie(
        LANG_COOKIE,
        locale,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=get_platform().settings.cookie_secure,
        path="/",
    )
    return response
