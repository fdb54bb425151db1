"""Reads the guard off every route of the app, so the matrix covers new routes by itself."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from safegrid.security.guards import Guard, Public
from safegrid.terminals.guard import TerminalGuard
from safegrid.web.portal.guard import PortalGuard

# Routes FastAPI adds itself (schema and docs); they hold no data.
FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@dataclasses.dataclass(frozen=True)
class RouteCase:
    method: str
    path: str
    # TerminalGuard: a handheld, not staff (DATA-7); PortalGuard: a portal customer (HALL-6).
    guard: Guard | Public | TerminalGuard | PortalGuard

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)

    def url(self, values: dict[str, Any]) -> str:
        return re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(values[m.group(1)]), self.path)


def _guards(dep: Dependant) -> list[Guard | Public | TerminalGuard | PortalGuard]:
    found: list[Guard | Public | TerminalGuard | PortalGuard] = []
    if isinstance(dep.call, Guard | Public | TerminalGuard | PortalGuard):
        found.append(dep.call)
    for sub in dep.dependencies:
        found.extend(_guards(sub))
    return found


def _flat_routes(app: FastAPI) -> list[Any]:
    # FastAPI ≥ 0.16x keeps included routers as nodes; flatten them to the real routes.
    try:
        from fastapi.routing import _iter_included_route_candidates
    except ImportError:  # older FastAPI: app.routes is already flat
        return list(app.routes)
    return list(_iter_included_route_candidates(app.routes))


def route_cases(app: FastAPI) -> list[RouteCase]:
    cases = []
    for route in _flat_routes(app):
        if not isinstance(route, APIRoute):
            # Anything that is not an API route must be the static mount or FastAPI's own
            # schema route; an unknown kind of route would escape the matrix.
            path = getattr(route, "path", None)
            assert path == "/static" or path in FRAMEWORK_ROUTES, f"unguarded route {path}"
            continue
        guards = _guards(route.dependant)
        if len(guards) != 1:
            raise AssertionError(
                f"{route.path} must declare exactly one guard (require/require_page/public); "
                f"found {len(guards)}"
            )
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            cases.append(RouteCase(method, route.path, guards[0]))
    return cases
