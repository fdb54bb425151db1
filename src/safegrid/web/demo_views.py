"""The demo's background history on the start page: how far it is, refreshed by htmx
until it is finished (``safegrid demo history``, started by ``make demo``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.demo.history import HistoryProgress, history_progress
from safegrid.security.actor import Actor
from safegrid.security.guards import require_page
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


def demo_history(actor: Actor, *, finished_too: bool = True) -> HistoryProgress | None:
    """None outside a demo database (a real utility's start page never shows the box), and
    without ``finished_too`` once the history is complete: the start page shows it while it
    fills in, its last refresh says it is done."""
    with get_platform().uow(actor, readonly=True) as uow:
        state = history_progress(uow.session)
    return state if state is not None and (finished_too or not state.finished) else None


@router.get("/demo/history")
def demo_history_fragment(request: Request, actor: Actor = Depends(require_page(None))) -> Response:
    return render(request, "demo/_history.html", {"history": demo_history(actor)})
