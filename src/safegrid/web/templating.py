"""Jinja2 environment of the console and the one helper every view renders through."""

from __future__ import annotations

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
from safegrid.security.policy import POST_LABELS, Post
from safegrid.web import flash
from safegrid.web.audit_labels import action_label
from safegrid.web.csrf import CsrfFormExtension
from safegrid.web.i18n import localize_message, request_locale, translate
from safegrid.web.job_labels import job_label
from safegrid.web.labels import ENUM_LABELS
from safegrid.web.money_words import rmb_capitals
from safegrid.web.navigation import api_docs_for, nav_groups
from safegrid.web.redirects import current_path

WEB_DIR: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = WEB_DIR / "static"
TEMPLATES_DIR: Final = WEB_DIR / "templates"


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
def _action_label(ctx: jinja2.runtime.Context, code: str) -> str:
    return action_label(code, ctx["locale"])


@jinja2.pass_context
def _job_label(ctx: jinja2.runtime.Context, name: str) -> str:
    return job_label(name, ctx["locale"])


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
    groups = [] if in_setup else nav_groups(actor)
    # The entry whose path is the longest prefix of this page is the one marked active
    # (/payments/refunds, not /payments as well).
    active = max(
        (
            i.path
            for g in groups
            for i in g.items
            if path == i.path or path.startswith(i.path + "/")
        ),
        key=len,
        default="/" if path == "/" else "",
    )
    return {
        "locale": request_locale(request),
        "actor": actor,
        "actor_unit": actor_unit,
        "nav": groups,
        "nav_active": lambda item_path: item_path == active,
        "api_docs": api_docs_for(actor),
        "here": current_path(request),
        "flash_msgid": flash.pending(request),
        # Set by web.csrf.CsrfGuard; every POST form and htmx request carries it (ADR 0022).
        "csrf_token": getattr(request.state, "csrf_token", None),
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template is HTML; never trust a value to be safe
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails the render, not silently
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[CsrfFormExtension],
    )
    env.globals.update(
        _=_gettext,
        label=_label,
        action_label=_action_label,
        job_label=_job_label,
        post_label=_post_label,
        unit_name=_unit_name,
    )
    env.filters.update(localtime=_localtime, msg=_message, rmb=rmb_capitals)
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
