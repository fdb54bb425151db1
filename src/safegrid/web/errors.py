"""Console rendering of errors (the API answers JSON; see ``safegrid.app``)."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from safegrid.platform.errors import AuthenticationError, SafeGridError
from safegrid.security.guards import SESSION_COOKIE, SetupRequiredError, require_page
from safegrid.security.models import SessionStage
from safegrid.web.forms import describe
from safegrid.web.i18n import N_, request_locale
from safegrid.web.portal.guard import LOGIN_PATH, PORTAL_COOKIE, PortalSignInRequired
from safegrid.web.redirects import current_path, is_htmx, safe_next, see_other
from safegrid.web.templating import render

_any_session = require_page(None, allow_setup=True)

SETUP_PAGES = {
    SessionStage.CHANGE_PASSWORD: "/account/password",
    SessionStage.ENROL_TOTP: "/account/totp",
    SessionStage.STEP_UP: "/account/step-up",
}

_TITLES = {
    400: N_("Request not accepted"),
    401: N_("Please sign in"),
    403: N_("Access denied"),
    404: N_("Page not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    422: N_("Invalid input"),
    423: N_("Account locked"),
}
_DEFAULT_TEXT = {
    403: N_("Your post does not allow this page."),
    404: N_("The page or record does not exist, or it is outside your area."),
    405: N_("This address does not accept that kind of request."),
}


def login_page(
    request: Request,
    *,
    next_path: str = "/",
    error: str | None = None,
    notice: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "auth/login.html",
        {"next": safe_next(next_path), "error": error, "notice": notice, "username": username},
        status_code=status_code,
    )


def render_error(request: Request, exc: SafeGridError) -> Response:
    if isinstance(exc, SetupRequiredError):
        return see_other(request, SETUP_PAGES.get(exc.stage, "/account/password"))
    if isinstance(exc, PortalSignInRequired):
        # A portal customer signs in on the portal's page, never the staff login.
        forged = PORTAL_COOKIE in request.cookies
        to_login = see_other(request, LOGIN_PATH + ("?expired=1" if forged else ""))
        if forged:
            to_login.delete_cookie(PORTAL_COOKIE, path="/portal")
        return to_login
    if isinstance(exc, AuthenticationError) and exc.status_code == 401:
        # Come back to the page after signing in; a POST target cannot be re-opened by GET.
        back = current_path(request) if request.method == "GET" else "/"
        if is_htmx(request):
            response: Response = see_other(request, f"/login?next={quote(back, safe='/')}")
        else:
            # Not an error of the user's making: shown as a notice, not in red.
            response = login_page(request, next_path=back, notice=exc.message, status_code=401)
        if SESSION_COOKIE in request.cookies:
            response.delete_cookie(SESSION_COOKIE, path="/")  # expired or revoked: drop it
        return response
    return _error_page(request, exc.status_code, exc.message)


def _identify(request: Request) -> None:
    """Error pages of a signed-in user keep the top bar and menu. When the guard refused
    (403) or never ran (unknown path), look the session up once more, best effort."""
    if getattr(request.state, "actor", None) is not None or SESSION_COOKIE not in request.cookies:
        return
    with contextlib.suppress(SafeGridError):  # no usable session: no menu, that is all
        _any_session.identify(request)


def render_validation(request: Request, errors: list[dict[str, Any]]) -> Response:
    locale = request_locale(request)
    items = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query")),
            "message": describe(e, locale),
        }
        for e in errors
    ]
    return render(request, "errors/validation.html", {"errors": items}, status_code=422)


def render_status(request: Request, status_code: int) -> Response:
    return _error_page(request, status_code, None)


def _error_page(request: Request, status_code: int, message: str | None) -> Response:
    _identify(request)
    return render(
        request,
        "errors/error.html",
        {
            "status": status_code,
            "title": _TITLES.get(status_code, N_("Something went wrong")),
            "message": message,
            "default_text": _DEFAULT_TEXT.get(status_code),
        },
        status_code=status_code,
    )
