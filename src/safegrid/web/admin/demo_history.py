"""The demo's background history on the start page: how far it is, refreshed by htmx
until it is finished (``safegrid demo history``, started by ``make demo``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from safegrid.demo.history import HistoryProgress, history_progress
from safegrid.security.work import Work
from safegrid.web.page_access import SignedInPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


def demo_history(work: Work, *, finished_too: bool = True) -> HistoryProgress | None:
    """None outside a demo database (a real utility's start page never shows the box), and
    without ``finished_too`` once the history is complete: the start page shows it while it
    fills in, its last refresh says it is done."""
    with work.read() as uow:
        state = history_progress(uow.session)
    return state if state is not None and (finished_too or not state.finished) else None


@router.get("/demo/history")
def demo_history_fragment(request: Request, work: SignedInPage) -> Response:
    return render(request, "demo/_history.html", {"history": demo_history(work)})
