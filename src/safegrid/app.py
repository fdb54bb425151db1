"""Application factory: the console and the API in one ASGI app. Nothing connects at import;
the database is opened on first use through :func:`safegrid.bootstrap.get_platform`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safegrid import __version__
from safegrid.alerts.routes import router as alerts_router
from safegrid.analytics.routes import router as analytics_router
from safegrid.apicontract import body_limits, error_model
from safegrid.apicontract.input_bounds import bound_request_values
from safegrid.apicontract.openapi_doc import document_errors
from safegrid.applications.routes import router as applications_router
from safegrid.billing.routes import router as billing_router
from safegrid.bootstrap import Platform, get_platform, set_platform
from safegrid.collection.routes import router as collection_router
from safegrid.customers.completeness_routes import router as completeness_router
from safegrid.customers.routes import router as customers_router
from safegrid.datause.routes import router as datause_router
from safegrid.fieldwork.routes import router as fieldwork_router
from safegrid.governance.routes import router as governance_router
from safegrid.hall.routes import router as hall_router
from safegrid.hall.terminal_routes import router as hall_terminal_router
from safegrid.notifications.routes import router as notifications_router
from safegrid.org.routes import router as org_router
from safegrid.payments.counter.routes import router as counter_router
from safegrid.payments.ledger.refund_routes import router as ledger_router
from safegrid.payments.online.callbacks import applier as inbox_applier
from safegrid.payments.online.callbacks.endpoint import CallbackFastPath
from safegrid.payments.online.routes import router as online_payments_router
from safegrid.payments.online.settings import get_channel_settings
from safegrid.payments.risk.routes import router as risk_router
from safegrid.platform import integrity, scheduler
from safegrid.platform.errors import ConflictError, SafeGridError
from safegrid.readings.correction_routes import router as reading_corrections_router
from safegrid.readings.routes import router as readings_router
from safegrid.relay.routes import router as events_router
from safegrid.secops.offline.routes import router as offline_hall_router
from safegrid.secops.shield import Shield
from safegrid.security.guards import public
from safegrid.security.routes import router as security_router
from safegrid.tariffs.routes import router as tariffs_router
from safegrid.terminals.routes import router as terminals_router
from safegrid.web import api_messages
from safegrid.web import errors as web_errors
from safegrid.web.csrf import CsrfGuard
from safegrid.web.routes import router as web_router
from safegrid.web.templating import STATIC_DIR

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Everything is served locally (utility intranets have no internet).
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}


DOCS_CSP = (
    # Swagger UI needs inline scripts; it is the only page allowed them.
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)


# Browsers keep to HTTPS for a year once they have seen this over HTTPS (prod only: a dev
# server on plain http://127.0.0.1 must not pin anything).
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# Everything but the static files may carry personal data (API bodies, console pages,
# redirects naming records): no cache, shared or the browser's own, keeps a copy (issue 12).
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response (a header the route set wins, except the
    docs' CSP), ``Cache-Control: no-store`` outside /static and HSTS in prod. Plain ASGI
    rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs every
    request through an extra task and stream, a cost the payment callbacks pay thousands
    of times a second (ADR 0013)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(("/docs", "/redoc"))
        extra = [] if scope["path"].startswith("/static/") else [NO_STORE]
        if get_platform().settings.env == "prod":
            extra.append(HSTS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in self._headers:
                    if docs and key == b"content-security-policy":
                        headers = [(k, v) for k, v in headers if k.lower() != key]
                        headers.append((key, DOCS_CSP.encode()))
                    elif key not in present:
                        headers.append((key, value))
                headers.extend(item for item in extra if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Scheduled jobs run inside the server unless SAFEGRID_SCHEDULER_ENABLED=false.
    running = scheduler.start_in_server(get_platform())
    # Callbacks acknowledged before a crash and not yet applied (ADR 0013).
    if get_channel_settings().inbox_applier == "thread":
        inbox_applier.applier.wake(get_platform())
    try:
        yield
    finally:
        if running is not None:
            running.shutdown(wait=False)


def create_app(platform: Platform | None = None) -> FastAPI:
    if platform is not None:
        set_platform(platform)
    app = FastAPI(
        title="SafeGrid 电力营销安全平台",
        version=__version__,
        description="Power marketing platform: customer archive, billing, payments, security governance.",
        # The stock pages load Swagger/ReDoc from a CDN, which utility intranets cannot
        # reach; web/routes.py serves /docs from vendored files instead.
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    # First: routes are matched in order, and channel callbacks arrive thousands of times
    # a second (ADR 0013); matching them against every console route first cost a quarter
    # of the callback's CPU.
    app.include_router(online_payments_router)
    # Next the hall's queue (a province's halls call hundreds of times a second, ADR 0038):
    # behind the other routers each of its requests was first tried against ~170 routes,
    # twice (FastAPI matches again when it dispatches). Nothing else lives under /api/hall.
    app.include_router(hall_router)
    app.include_router(hall_terminal_router)
    app.include_router(security_router)
    app.include_router(org_router)
    app.include_router(customers_router)
    app.include_router(applications_router)
    app.include_router(completeness_router)
    app.include_router(datause_router)
    app.include_router(readings_router)
    app.include_router(reading_corrections_router)
    app.include_router(tariffs_router)
    app.include_router(billing_router)
    app.include_router(collection_router)
    app.include_router(notifications_router)
    app.include_router(alerts_router)
    app.include_router(terminals_router)
    app.include_router(governance_router)
    app.include_router(fieldwork_router)
    app.include_router(analytics_router)
    app.include_router(counter_router)
    app.include_router(offline_hall_router)
    app.include_router(ledger_router)
    app.include_router(risk_router)
    app.include_router(events_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    bound_request_values(app)
    document_errors(app)

    @app.get("/api/health", tags=["ops"], dependencies=[Depends(public("health probe"))])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.exception_handler(SafeGridError)
    def _safegrid_error(request: Request, exc: SafeGridError) -> Response:
        if not _is_api(request):
            return web_errors.render_error(request, exc)
        body: dict[str, object] = {"detail": api_messages.localized(exc.message, request)}
        if exc.field:
            body["field"] = exc.field
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        headers = headers or getattr(exc, "headers", None)  # e.g. 429 Retry-After
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(IntegrityError)
    def _integrity_error(request: Request, exc: IntegrityError) -> Response:
        # A constraint the service did not translate (a race it lost, a rule it does not
        # know): still the user's conflict, not a server fault, and never the SQL.
        found = integrity.violation(exc)
        log.warning(
            "%s %s: integrity error on %s", request.method, request.url.path, found.constraint
        )
        return _safegrid_error(request, ConflictError(integrity.describe(exc)))

    @app.exception_handler(RequestValidationError)
    def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        if not _is_api(request):
            return web_errors.render_validation(request, errors)
        detail = api_messages.field_errors(exc.errors(), api_messages.api_locale(request))
        field = error_model.field_of(detail[0]["loc"]) if detail else None
        return JSONResponse({"detail": detail, "field": field}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_api(request) and exc.status_code == 404:
            return web_errors.render_status(request, 404)
        if exc.status_code == 413:
            message = body_limits.describe_limit(request.scope.get(MAX_BODY_SIZE_SCOPE_KEY))
            body: dict[str, object] = {"detail": message, "field": "body"}
        else:
            text = error_model.STATUS_TEXT.get(exc.status_code)
            stock = exc.detail == HTTPStatus(exc.status_code).phrase
            body = {"detail": text if text and stock else exc.detail}
        if isinstance(body["detail"], str):
            body["detail"] = api_messages.localized(body["detail"], request)
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    # Inside SecurityHeaders, so its refusals carry them too (ADR 0022).
    app.add_middleware(
        CsrfGuard,
        secret_key=lambda: get_platform().settings.secret_key,
        secure=lambda: get_platform().settings.cookie_secure,
    )

    @app.exception_handler(Exception)
    def _server_error(request: Request, exc: Exception) -> Response:
        # Logged by Starlette's ServerErrorMiddleware, which calls this for the answer.
        if not _is_api(request):
            return web_errors.render_status(request, 500)
        message = api_messages.localized(error_model.SERVER_ERROR, request)
        return JSONResponse({"detail": message}, status_code=500)

    # Before authentication and before parsing; upload routes declare more (ADR 0023).
    app.add_middleware(body_limits.BodyLimit, localize=api_messages.localized_for_scope)
    app.add_middleware(SecurityHeaders)
    # Outside the headers: a blocked request never reaches a route (OPS-8).
    app.add_middleware(Shield)
    # Added last: outermost, so a channel callback skips the rest (ADR 0013).
    app.add_middleware(CallbackFastPath, headers=SECURITY_HEADERS)
    return app
