"""Cross-site request forgery defence of the console (OPS-8, ADR 0022).

Two checks on every console request that is not GET/HEAD/OPTIONS, in one middleware:

1. Where the browser says where the request comes from, it must be this site:
   ``Sec-Fetch-Site`` must be ``same-origin`` (or ``none``: typed by the user) and ``Origin``
   must name our own host. A sibling intranet origin is ``same-site``, which is refused.
2. A token the attacker cannot know: HMAC(secret key, the session cookie), or before
   signing in HMAC(secret key, a random ``sg_csrf`` cookie). Pages carry it in a hidden
   input of every POST form (inserted by :class:`CsrfFormExtension` at template compile
   time, so no form can forget it) and in ``hx-headers`` on ``<body>`` for htmx requests.

The API is out of scope here: it takes writes with a bearer token only (guards.Guard), which
a browser never attaches on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Final

from jinja2.ext import Extension
from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safegrid.security.guards import SESSION_COOKIE

ANON_COOKIE: Final = "sg_csrf"
FIELD: Final = "csrf_token"
HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
# Not the console: the API (bearer only), static files.
EXEMPT_PREFIXES: Final = ("/api/", "/static/")
REFUSED: Final = (
    "请求来源无法验证，请刷新页面后重试 / this request could not be verified as coming from "
    "the SafeGrid console (CSRF): reload the page and try again"
)


def token_for(secret_key: str, cookies: Mapping[str, str]) -> str | None:
    """The token a page of this browser carries; None when it has no cookie to bind to."""
    session = cookies.get(SESSION_COOKIE)
    if session:
        basis = f"session:{session}"
    elif cookies.get(ANON_COOKIE):
        basis = f"anon:{cookies[ANON_COOKIE]}"
    else:
        return None
    return hmac.new(secret_key.encode(), basis.encode(), hashlib.sha256).hexdigest()


def origin_refusal(headers: Headers) -> str | None:
    """Why the browser's own account of the request's origin refuses it, or None."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site {site}"
    origin = headers.get("origin")
    if origin is not None:
        host = headers.get("host", "")
        own = origin.split("://", 1)[1] if "://" in origin else None
        if own is None or own.rstrip("/").lower() != host.lower():
            return f"Origin {origin[:100]}"
    return None


class CsrfGuard:
    """Plain ASGI middleware (no extra task per request, ADR 0013). It hands the page's
    token to the templates in ``scope["state"]["csrf_token"]`` and sets ``sg_csrf`` on a
    browser that has none."""

    def __init__(self, app: ASGIApp, secret_key: Callable[[], str], secure: Callable[[], bool]):
        self.app = app
        self._secret_key = secret_key
        self._secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = _cookies(headers)
        fresh = None if cookies.get(ANON_COOKIE) else secrets.token_urlsafe(32)
        secret = self._secret_key()
        anon = cookies.get(ANON_COOKIE) or fresh or ""
        expected = token_for(secret, {**cookies, ANON_COOKIE: anon})
        scope.setdefault("state", {})["csrf_token"] = expected
        send = self._with_cookie(send, fresh)
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        refusal = origin_refusal(headers)
        sent = headers.get(HEADER)
        if refusal is None and not sent:
            body, receive = await _buffer(receive)
            sent = await _form_token(scope, body, headers)
        if refusal is None:
            known = token_for(secret, cookies)  # a cookie made just now proves nothing
            if not (sent and known and hmac.compare_digest(sent, known)):
                refusal = "missing or wrong token"
        if refusal is not None:
            await _refuse(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _with_cookie(self, send: Send, fresh: str | None) -> Send:
        if fresh is None:
            return send
        cookie = f"{ANON_COOKIE}={fresh}; Path=/; HttpOnly; SameSite=Strict"
        if self._secure():
            cookie += "; Secure"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
                message = {**message, "headers": headers}
            await send(message)

        return send_with_cookie


def _cookies(headers: Headers) -> dict[str, str]:
    # Starlette's own parser: the middleware sees the cookies the routes will see.
    return cookie_parser(headers.get("cookie", ""))


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Reads the body once and returns a receive that replays it to the application."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _form_token(scope: Scope, body: bytes, headers: Headers) -> str | None:
    kind = headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    delivered = False

    async def once() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        async with Request(scope, once).form() as form:
            value = form.get(FIELD)
            return value if isinstance(value, str) else None
    except Exception:  # an unparseable form carries no token; the route answers it
        return None


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    # Imported here: the error page pulls in the templates, which import this module.
    from safegrid.platform.errors import PermissionDeniedError
    from safegrid.web.errors import render_error

    response = render_error(Request(scope, receive), PermissionDeniedError(REFUSED))
    await response(scope, receive, send)


# Every <form ... method="post" ...> start tag of a template, across lines.
_POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']post[\"'][^>]*>", re.IGNORECASE)
HIDDEN_INPUT: Final = '<input type="hidden" name="' + FIELD + '" value="{{ csrf_token or \'\' }}">'


class CsrfFormExtension(Extension):
    """Puts the hidden token input right after the start tag of every POST form, when the
    template is compiled: a form written tomorrow carries the token without anyone
    remembering it (tests/unit/web/test_csrf_forms.py checks every template)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _POST_FORM.sub(lambda m: m.group(0) + HIDDEN_INPUT, source)
