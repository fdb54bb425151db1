"""The signed-in user's own account: password change, TOTP enrolment, sessions (IAM-2, IAM-3)."""

from __future__ import annotations

from typing import Annotated

from argon2 import PasswordHasher
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.security import accounts, passwords
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import SessionStage
from safegrid.security.work import Work
from safegrid.web import flash
from safegrid.web.forms import FieldErrors, from_service
from safegrid.web.i18n import N_, request_locale, translate
from safegrid.web.page_access import SetupPage, SignedInPage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

PASSWORD_FIELDS = ("current_password", "new_password", "repeat_password")


def _hasher() -> PasswordHasher:
    s = get_platform().settings
    return passwords.hasher(s.argon2_time_cost, s.argon2_memory_kib)


def _password_page(
    request: Request, errors: FieldErrors | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "account/password.html",
        {
            "errors": errors or FieldErrors(),
            "min_length": passwords.MIN_LENGTH,
            "history_depth": passwords.HISTORY_DEPTH,
            "forced": getattr(request.state, "stage", None) == SessionStage.CHANGE_PASSWORD,
        },
        status_code=status_code,
    )


@router.get("/account/password")
def password_form(request: Request, work: SetupPage) -> Response:
    return _password_page(request)


@router.post("/account/password")
def password_submit(
    request: Request,
    work: SetupPage,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    repeat_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    locale = request_locale(request)
    if new_password != repeat_password:
        errors = FieldErrors()
        errors.add("repeat_password", translate(locale, N_("The two new passwords differ.")))
        return _password_page(request, errors, 422)
    try:
        stage = accounts.do_change_password(
            work.write(), current_password, new_password, hasher=_hasher()
        )
    except ValidationProblem as exc:
        return _password_page(request, from_service(exc, locale, PASSWORD_FIELDS), 422)
    target = "/account/totp" if stage == SessionStage.ENROL_TOTP else "/"
    return flash.redirect(request, target, "password_changed")


def _totp_page(
    request: Request, work: Work, errors: FieldErrors | None = None, status_code: int = 200
) -> Response:
    try:
        secret, uri = accounts.totp_uri(work.read())
    except ConflictError:
        return flash.redirect(request, "/", "totp_already")
    return render(
        request,
        "account/totp.html",
        {
            # Groups of four are easier to type into an authenticator by hand.
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "otpauth_uri": uri,
            "errors": errors or FieldErrors(),
        },
        status_code=status_code,
    )


@router.get("/account/totp")
def totp_form(request: Request, work: SetupPage) -> Response:
    return _totp_page(request, work)


@router.post("/account/totp")
def totp_submit(
    request: Request,
    work: SetupPage,
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        accounts.do_enrol_totp(work.write(), code.strip().replace(" ", ""))
    except ValidationProblem as exc:
        errors = from_service(exc, request_locale(request), ("code",))
        return _totp_page(request, work, errors, 422)
    except ConflictError:
        return flash.redirect(request, "/", "totp_already")
    return flash.redirect(request, "/", "totp_enrolled")


@router.get("/sessions")
def my_sessions(request: Request, work: SignedInPage) -> Response:
    assert work.actor.account_id is not None  # a page session always belongs to a staff account
    rows = accounts.sessions_of(work.read(), work.actor.account_id)
    return render(request, "account/sessions.html", {"sessions": rows})


@router.post("/sessions/{session_id}/revoke")
def revoke_session(request: Request, session_id: int, work: SignedInPage) -> Response:
    accounts.do_revoke_session(work.write(), session_id)
    if session_id == work.actor.session_id:
        response = see_other(request, "/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return flash.flash(response, "signed_out")
    return flash.redirect(request, "/sessions", "session_revoked")
