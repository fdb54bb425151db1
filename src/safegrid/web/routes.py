"""All console routes, plus the self-hosted API docs.

Every route declares exactly one guard from ``safegrid.security.guards``; the permission
tests read them off the routes.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse

from safegrid.security.guards import public
from safegrid.web import (
    account_views,
    admin_views,
    auth_views,
    billing_views,
    collection_views,
    counter_settlement_views,
    counter_views,
    customer_views,
    data_views,
    datause_views,
    demo_views,
    governance_views,
    ops_views,
    payment_views,
    portal_views,
    readings_views,
    risk_views,
    tariff_views,
    terminal_views,
)

SWAGGER_JS = "/static/vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "/static/vendor/swagger-ui/swagger-ui.css"
FAVICON = "/static/favicon.svg"

router = APIRouter()
router.include_router(auth_views.router)
router.include_router(account_views.router)
router.include_router(customer_views.router)
router.include_router(datause_views.router)
router.include_router(readings_views.router)
router.include_router(tariff_views.router)
router.include_router(billing_views.router)
router.include_router(collection_views.router)
router.include_router(counter_views.router)
router.include_router(counter_settlement_views.router)
router.include_router(admin_views.router)
router.include_router(demo_views.router)
router.include_router(ops_views.router)
router.include_router(terminal_views.router)
router.include_router(data_views.router)
router.include_router(governance_views.router)
router.include_router(portal_views.router)
router.include_router(payment_views.router)
router.include_router(risk_views.router)


@router.get("/docs", include_in_schema=False, dependencies=[Depends(public("api docs"))])
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI from our own static files: FastAPI's default page loads it from a CDN,
    which a utility intranet cannot reach."""
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="SafeGrid API",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=FAVICON,
    )
