"""Routers are included in traffic order (channel callbacks, then the hall queue; ADR 0013,
ADR 0038): the order may change only while no route hides another. Each route's path, its
parameters filled in, must reach that route first, whatever router it sits in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

from safegrid.bootstrap import Platform
from tests.fixtures.apps import app_for


def _in_order(routes: Iterable[object]) -> Iterator[BaseRoute]:
    """The routes as the app tries them (an included router: its routes, in its order)."""
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if candidates is None:
            if isinstance(route, BaseRoute):
                yield route
            continue
        for candidate in candidates():
            inner = getattr(candidate, "original_route", None)
            yield from _in_order([candidate if inner is None else inner])


def test_every_route_is_reached_by_its_own_path(platform: Platform) -> None:
    routes = [r for r in _in_order(app_for(platform).router.routes) if isinstance(r, APIRoute)]
    assert len(routes) > 300  # the whole API, not one router
    hidden = []
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "7", route.path)
        for method in sorted(route.methods):
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            first = next(r for r in routes if r.matches(scope)[0] == Match.FULL)
            if first is not route:
                hidden.append(f"{method} {route.path} reaches {first.path} ({first.name}) first")
    assert hidden == []
    hall = [i for i, r in enumerate(routes) if r.path.startswith("/api/hall/")]
    # The queue's requests are matched within the first routes tried, not after ~170.
    assert hall and max(hall) < 60
