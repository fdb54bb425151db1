"""All console routes, plus the self-hosted API docs.

Every route declares exactly one guard from ``safegrid.security.guards``; the permission
tests read them off the routes.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse

from safegrid.security.guards import public
from safegrid.web import print_pages, todo
from safegrid.web.account import login, settings
from safegrid.web.admin import demo_history, ops, overview, staff_admin
from safegrid.web.admin import todo as admin_todo
from safegrid.web.analytics import pages as analytics_pages
from safegrid.web.analytics import profiles as analytics_profiles
from safegrid.web.analytics import todo as analytics_todo
from safegrid.web.applications import counter as applications_counter
from safegrid.web.applications import pages as applications
from safegrid.web.applications import todo as applications_todo
from safegrid.web.billing import bills, tariffs
from safegrid.web.collection import pages as collection
from safegrid.web.collection import todo as collection_todo
from safegrid.web.customers import pages as customers
from safegrid.web.datause import inventory
from safegrid.web.datause import pages as datause
from safegrid.web.datause import picker as datause_picker
from safegrid.web.datause import todo as datause_todo
from safegrid.web.fieldwork import pages as fieldwork
from safegrid.web.fieldwork import todo as fieldwork_todo
from safegrid.web.governance import pages as governance
from safegrid.web.governance import todo as governance_todo
from safegrid.web.hall import pages as hall
from safegrid.web.hall import public as hall_public
from safegrid.web.payments import counter, ledger, portal, risk, settlement
from safegrid.web.payments import todo as payments_todo
from safegrid.web.portal import apply as portal_apply
from safegrid.web.portal import pages as portal_pages
from safegrid.web.portal import services as portal_services
from safegrid.web.portal import signin as portal_signin
from safegrid.web.portal import staff as portal_staff
from safegrid.web.portal import todo as portal_todo
from safegrid.web.readings import books as reading_books
from safegrid.web.readings import corrections as reading_corrections
from safegrid.web.readings import pages as readings
from safegrid.web.readings import todo as readings_todo
from safegrid.web.reconciliation import cases as recon_cases
from safegrid.web.reconciliation import pages as reconciliation
from safegrid.web.reconciliation import report as recon_report
from safegrid.web.reconciliation import statements as recon_statements
from safegrid.web.reconciliation import todo as recon_todo
from safegrid.web.secops import drills as secops_drills
from safegrid.web.secops import hazards as secops_hazards
from safegrid.web.secops import offline as secops_offline
from safegrid.web.secops import offline_nodes as secops_offline_nodes
from safegrid.web.secops import pages as secops
from safegrid.web.terminals import pages as terminals

SWAGGER_JS = "/static/vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "/static/vendor/swagger-ui/swagger-ui.css"
FAVICON = "/static/favicon.svg"

router = APIRouter()
router.include_router(login.router)
router.include_router(settings.router)
router.include_router(customers.router)
router.include_router(datause_picker.router)
router.include_router(datause.router)
router.include_router(readings.router)
router.include_router(reading_books.router)
router.include_router(reading_corrections.router)
router.include_router(tariffs.router)
router.include_router(bills.router)
router.include_router(collection.router)
router.include_router(print_pages.router)
router.include_router(counter.router)
router.include_router(settlement.router)
router.include_router(overview.router)
router.include_router(staff_admin.router)
router.include_router(demo_history.router)
router.include_router(ops.router)
router.include_router(terminals.router)
router.include_router(fieldwork.router)
router.include_router(inventory.router)
router.include_router(governance.router)
router.include_router(portal.router)
router.include_router(ledger.router)
router.include_router(risk.router)
router.include_router(reconciliation.router)
router.include_router(recon_statements.router)
router.include_router(recon_cases.router)
router.include_router(recon_report.router)
router.include_router(hall.router)
router.include_router(hall_public.router)
router.include_router(applications_counter.router)
router.include_router(applications.router)
router.include_router(secops.router)
router.include_router(secops_drills.router)
router.include_router(secops_hazards.router)
router.include_router(secops_offline.router)
router.include_router(secops_offline_nodes.router)
router.include_router(analytics_pages.router)
router.include_router(analytics_profiles.router)
router.include_router(portal_signin.router)
router.include_router(portal_pages.router)
router.include_router(portal_services.router)
router.include_router(portal_staff.router)
router.include_router(portal_apply.router)

# My work (待办): each domain's to-do providers, in the order a post's list shows them when
# nothing is overdue (ADR 0024). A new domain adds its PROVIDERS here with its router.
todo.register(
    *payments_todo.PROVIDERS,
    *readings_todo.PROVIDERS,
    *collection_todo.PROVIDERS,
    *datause_todo.PROVIDERS,
    *governance_todo.PROVIDERS,
    *admin_todo.PROVIDERS,
    *recon_todo.PROVIDERS,
    *analytics_todo.PROVIDERS,
    *portal_todo.PROVIDERS,
    *applications_todo.PROVIDERS,
    *fieldwork_todo.PROVIDERS,
)


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
