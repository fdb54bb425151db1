"""Redirects the console may issue: 303 after a POST (PRG) and same-site ``next`` targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

# Sending someone back to these after signing in would loop or sign them out again.
_NO_RETURN = ("/login", "/logout", "/lang/")


def safe_next(value: str | None, default: str = "/", *, allow_auth_pages: bool = False) -> str:
    """A same-site path to go back to, or ``default``.

    Only a path is accepted: no scheme, no host, no ``//host`` or ``/\\host`` (browsers read
    both as another site), no control characters. That closes the open redirect a
    ``?next=https://evil.example`` link would otherwise be.
    """
    if not value or len(value) > 2048:
        return default
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    if not allow_auth_pages and parts.path.startswith(_NO_RETURN):
        return default
    return value


def current_path(request: Request) -> str:
    """The requested path with its query, to come back to after signing in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def is_htmx(request: Request) -> bool:
    """An htmx swap wants a fragment. A history restore (back button after a cache miss)
    wants the whole page, so it does not count."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def see_other(request: Request, url: str) -> Response:
    """303 to ``url``. htmx follows redirects inside its XHR and would swap a whole page into
    a fragment, so an htmx request is told to navigate instead."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
