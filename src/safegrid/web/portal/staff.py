"""Console side of portal feedback: hall staff see the complaints and suggestions of their
unit waiting for an answer (a to-do item, web/portal/todo.py) and answer them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.portal import feedback
from safegrid.portal.schemas import AnswerIn
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.page_access import HallServePage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    work: HallServePage,
    errors: FieldErrors | None = None,
    failed_id: int | None = None,
    status_code: int = 200,
) -> Response:
    items = feedback.open_items(work.read())
    return render(
        request,
        "portal/staff_feedback.html",
        {"items": items, "errors": errors or FieldErrors(), "failed_id": failed_id},
        status_code=status_code,
    )


@router.get("/hall/feedback")
def feedback_inbox(request: Request, work: HallServePage) -> Response:
    return _page(request, work)


@router.post("/hall/feedback/{feedback_id}/answer")
def feedback_answer(
    request: Request,
    work: HallServePage,
    feedback_id: int,
    answer: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    feedback_found = feedback_id  # named in the page when the answer is refused
    return submit(
        request,
        AnswerIn,
        {"answer": answer},
        ["answer"],
        lambda d: feedback.do_answer(work.write(), feedback_id, d.answer),
        done=lambda _none: see_other(request, "/hall/feedback"),
        again=lambda errors, status: _page(request, work, errors, feedback_found, status),
        refused=(ValidationProblem, ConflictError),
    )
    # NotFoundError (another unit's item) propagates: 404 like any out-of-scope object.


__all__ = ["NotFoundError", "router"]
