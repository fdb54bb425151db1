"""Jinja2 environment of the console and the one helper every view renders through."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from safegrid.bootstrap import get_platform
from safegrid.org import services as org_services
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import SafeGridError
from safegrid.security.actor import Actor
from safegrid.security.models import SessionStage
from safegrid.security.policy import POST_LABELS, Perm, Post
from safegrid.web import flash
from safegrid.web.i18n import N_, localize_message, request_locale, translate
from safegrid.web.redirects import current_path

WEB_DIR: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = WEB_DIR / "static"
TEMPLATES_DIR: Final = WEB_DIR / "templates"


@dataclasses.dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # English msgid
    perm: Perm | None
    blurb: str = ""  # msgid of the dashboard card text


NAV: Final[tuple[NavItem, ...]] = (
    NavItem("/", N_("Dashboard"), None),
    NavItem(
        "/customers",
        N_("Customers"),
        Perm.CUSTOMERS_VIEW,
        N_("Search the customer archive, open a customer's accounts, meters and contracts."),
    ),
    NavItem("/meters", N_("Meters"), Perm.METERS_VIEW, N_("Meter assets of your area.")),
    NavItem(
        "/readings",
        N_("Meter readings"),
        Perm.READINGS_VIEW,
        N_("Enter and import readings, close a month for billing."),
    ),
    NavItem(
        "/collection",
        N_("Collection"),
        Perm.COLLECTION_VIEW,
        N_("Billed, collected, written off and outstanding by unit, live."),
    ),
    NavItem(
        "/arrears",
        N_("Arrears"),
        Perm.COLLECTION_VIEW,
        N_("Overdue bills, late fees, reminders and disconnection notices."),
    ),
    NavItem(
        "/notifications",
        N_("Notifications"),
        Perm.NOTIFICATIONS_VIEW,
        N_("Messages sent to customers and staff (the outbox)."),
    ),
    NavItem(
        "/billing",
        N_("Bill runs"),
        Perm.BILLS_VIEW,
        N_("Issue a closed period's bills for your area and follow the runs."),
    ),
    NavItem(
        "/bills",
        N_("Bills"),
        Perm.BILLS_VIEW,
        N_("Every bill with its explanation line by line: tier, kWh, price, amount."),
    ),
    NavItem(
        "/tariffs",
        N_("Tariffs"),
        Perm.TARIFFS_VIEW,
        N_("Residential tiers, time-of-use and business prices, by effective date."),
    ),
    NavItem("/org", N_("Org units"), Perm.ORG_VIEW, N_("The unit tree you are responsible for.")),
    NavItem("/staff", N_("Staff"), Perm.STAFF_VIEW, N_("Staff accounts, posts and last sign-in.")),
    NavItem(
        "/terminals",
        N_("Field terminals"),
        Perm.TERMINALS_VIEW,
        N_("Handheld reading terminals: registration, uploads, loss and remote wipe."),
    ),
    NavItem(
        "/data/inventory",
        N_("Data inventory"),
        Perm.DATA_INVENTORY_VIEW,
        N_("Which tables hold which classes of sensitive data, how protected, how many rows."),
    ),
    NavItem(
        "/datause",
        N_("Data use"),
        None,
        N_("Requests to see sensitive data unmasked, approvals, grants, access log, exports."),
    ),
    NavItem(
        "/counter/desk",
        N_("Counter"),
        Perm.COUNTER_PAY,
        N_("Take payments by account number and print the receipt."),
    ),
    NavItem(
        "/counter/check",
        N_("Receipt check"),
        Perm.COUNTER_CHECK,
        N_("Confirm each receipt of your hall against the cash; co-sign voids."),
    ),
    NavItem(
        "/counter/settlement",
        N_("Daily settlement"),
        Perm.COUNTER_SETTLE,
        N_("Drawer balance, safe and the bank deposit by two people before 15:00."),
    ),
    NavItem(
        "/counter/trace",
        N_("Cash trace"),
        Perm.COUNTER_TRACE,
        N_("Follow any yuan from its receipt to the bank voucher, and back."),
    ),
    NavItem(
        "/payments",
        N_("Payments"),
        Perm.PAYMENTS_VIEW,
        N_("Search payments, trace every yuan to its bills, receipt and bank voucher."),
    ),
    NavItem(
        "/payments/refunds",
        N_("Refund requests"),
        Perm.PAYMENTS_VIEW,
        N_("Refunds asked for at the counter, approved by finance or a department head."),
    ),
    NavItem(
        "/payments/inbox",
        N_("Callback inbox"),
        Perm.PAYMENTS_VIEW,
        N_("Online payments acknowledged to the channel: waiting for the ledger, or for a person."),
    ),
    NavItem(
        "/payments/risk/cases",
        N_("Risk cases"),
        Perm.RISK_CASES_VIEW,
        N_("Accounts suspended by the payment risk rules, to lift, confirm or extend."),
    ),
    NavItem(
        "/payments/risk/rules",
        N_("Risk rules"),
        Perm.RISK_RULES_VIEW,
        N_("Thresholds, windows and actions of the payment risk rules, by version."),
    ),
    NavItem(
        "/workorders",
        N_("Work orders"),
        Perm.WORKORDERS_VIEW,
        N_("Field work orders; contractors see only the meters of their own."),
    ),
    NavItem(
        "/governance/permission-changes",
        N_("Permission changes"),
        Perm.PERMCHANGE_APPLY,
        N_("Apply for a change of post; leaders, heads and administrators decide in turn."),
    ),
    NavItem(
        "/governance/training",
        N_("Security training"),
        Perm.STAFF_LIFECYCLE,
        N_("Training records of new staff and account activation."),
    ),
    NavItem(
        "/governance/idle-accounts",
        N_("Idle accounts"),
        Perm.STAFF_LIFECYCLE,
        N_("Accounts unused for more than 30 days, to disable or keep."),
    ),
    NavItem(
        "/governance/departures",
        N_("Departures"),
        Perm.DEPARTURES_VIEW,
        N_("HR departure notices, account freezes and the 4-hour compliance report."),
    ),
    NavItem(
        "/alerts",
        N_("Key-field alerts"),
        Perm.ALERTS_VIEW,
        N_("Changes of bank accounts, payment status, tariffs, multipliers and posts."),
    ),
    NavItem(
        "/jobs",
        N_("Scheduled jobs"),
        Perm.JOBS_VIEW,
        N_("Hourly purge, retention and daily runs: schedules and last results."),
    ),
    NavItem(
        "/audit",
        N_("Audit log"),
        Perm.AUDIT_VIEW,
        N_("The tamper-evident log of every change; verify the hash chain."),
    ),
)

# Enum values shown to people; msgids translated in the catalog.
ENUM_LABELS: Final[dict[str, str]] = {
    "resident": N_("Resident"),
    "enterprise": N_("Enterprise"),
    "active": N_("Active"),
    "closed": N_("Closed"),
    "frozen": N_("Frozen"),
    "disabled": N_("Disabled"),
    "province": N_("Province"),
    "city": N_("City"),
    "county": N_("County"),
    "station": N_("Station"),
    "hall": N_("Service hall"),
    "residential": N_("Residential"),
    "commercial": N_("Commercial"),
    "industrial": N_("Industrial"),
    "console": N_("Console"),
    "api": N_("API"),
    "web": N_("Web"),
    "cli": N_("CLI"),
    "job": N_("Job"),
    # Tariffs and bills (BILL-3, BILL-4).
    "issued": N_("Issued"),
    "reversed": N_("Reversed"),
    "normal": N_("Normal"),
    "running": N_("Running"),
    "completed": N_("Completed"),
    "open": N_("Open"),
    "tiered_annual": N_("Annual tiers"),
    "tiered_monthly": N_("Monthly tiers"),
    "flat": N_("Flat price"),
    "tou": N_("Time of use"),
    "annual": N_("annual"),
    "monthly": N_("monthly"),
    # Collection and arrears (BILL-5, BILL-6).
    "payment": N_("Payment"),
    "adjustment": N_("Adjustment"),
    "reversal": N_("Reversal"),
    "pending": N_("Pending approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "executed": N_("Disconnected"),
    "cancelled": N_("Cancelled"),
    "paid": N_("Paid"),
    "partly_paid": N_("Partly paid"),
    "due": N_("Due"),
    "overdue": N_("Overdue"),
    "queued": N_("Queued"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    # Scheduled job runs.
    "succeeded": N_("Succeeded"),
    "skipped": N_("Skipped"),
    # Data use (DATA-4).
    "pending_head": N_("Waiting for department head"),
    "pending_dso": N_("Waiting for data security officer"),
    "view": N_("View"),
    "export": N_("Export"),
    # Field terminals and their commands (DATA-7).
    "lost": N_("Lost"),
    "wiped": N_("Wiped"),
    "retired": N_("Retired"),
    "wipe": N_("Wipe"),
    "delivered": N_("Delivered"),
    "acknowledged": N_("Acknowledged"),
    # Classes of sensitive data in the inventory (DATA-1).
    "class_id_number": N_("ID number"),
    "class_phone": N_("Phone number"),
    "class_address": N_("Detailed address"),
    "class_bank_account": N_("Bank account"),
    "class_credit_code": N_("Credit code"),
    "class_secret": N_("Credential secret"),
}


def nav_for(actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    return [item for item in NAV if item.perm is None or actor.can(item.perm)]


def current_actor(request: Request) -> Actor | None:
    actor = getattr(request.state, "actor", None)
    return actor if isinstance(actor, Actor) else None


@jinja2.pass_context
def _gettext(ctx: jinja2.runtime.Context, msgid: str, **params: object) -> str:
    return translate(ctx["locale"], msgid, **params)


@jinja2.pass_context
def _label(ctx: jinja2.runtime.Context, value: object) -> str:
    key = str(value)
    return translate(ctx["locale"], ENUM_LABELS[key]) if key in ENUM_LABELS else key


@jinja2.pass_context
def _post_label(ctx: jinja2.runtime.Context, post: Post | str | None) -> str:
    if post is None:
        return ""
    zh, en = POST_LABELS[Post(post)]
    return zh if ctx["locale"] == "zh" else en


@jinja2.pass_context
def _unit_name(ctx: jinja2.runtime.Context, unit: Any) -> str:
    """Chinese or English name of an org unit (anything with ``name``/``name_en``)."""
    if ctx["locale"] == "en" and getattr(unit, "name_en", None):
        return str(unit.name_en)
    return str(unit.name)


@jinja2.pass_context
def _message(ctx: jinja2.runtime.Context, message: str) -> str:
    return localize_message(message, ctx["locale"])


def _localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Stored UTC → Beijing time for display."""
    if value is None:
        return ""
    return value.astimezone(BUSINESS_TZ).strftime(fmt)


def _ui_context(request: Request) -> dict[str, Any]:
    actor = current_actor(request)

    def actor_unit() -> Any:
        # Looked up only when the top bar is drawn, so htmx fragments cost no extra query.
        if actor is None or actor.org_unit_id is None:
            return None
        try:
            return org_services.get_unit(
                get_platform().uow(actor, readonly=True), actor.org_unit_id
            )
        except SafeGridError:
            return None

    path = request.url.path
    # A half-signed-in session (password change / TOTP enrolment pending) gets no menu:
    # every link in it would only bounce back to the setup page.
    in_setup = getattr(request.state, "stage", SessionStage.FULL) != SessionStage.FULL
    return {
        "locale": request_locale(request),
        "actor": actor,
        "actor_unit": actor_unit,
        "nav": [] if in_setup else nav_for(actor),
        "nav_active": lambda item: path == "/" if item.path == "/" else path.startswith(item.path),
        "here": current_path(request),
        "flash_msgid": flash.pending(request),
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template is HTML; never trust a value to be safe
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails the render, not silently
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(_=_gettext, label=_label, post_label=_post_label, unit_name=_unit_name)
    env.filters.update(localtime=_localtime, msg=_message)
    return env


templates = Jinja2Templates(env=_environment(), context_processors=[_ui_context])


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, template, dict(context or {}), status_code=status_code, headers=headers
    )
    # The same URL answers with a page or an htmx fragment; caches must keep them apart.
    response.headers["Vary"] = "HX-Request, Cookie"
    # Pages show personal data (masked or not); no shared or back-button cache keeps them.
    response.headers["Cache-Control"] = "no-store"
    if flash.FLASH_COOKIE in request.cookies:
        response.delete_cookie(flash.FLASH_COOKIE, path="/")
    return response
