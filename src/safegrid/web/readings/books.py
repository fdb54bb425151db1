"""Reading books (抄表段) on the reader's phone (BILL-2): the books of my routes, one
book's meters in walking order with the last reading and the plausible range, the
supervisor's edit of that order, and the review queue of abnormal readings."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.readings import books, review_decisions
from safegrid.readings.schemas import ReviewDecisionIn, WalkingOrderIn
from safegrid.security.policy import Perm
from safegrid.web import flash
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.i18n import N_
from safegrid.web.page_access import ReadingsSupervisePage, ReadingsViewPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

# What made a reading abnormal (readings.plausible.KINDS), as the reviewer reads it.
KIND_LABELS: Final = {
    "outlier": N_("Outside the plausible range"),
    "jump": N_("Jump far above the usual use"),
    "zero": N_("No use at all"),
    "backwards": N_("Register went backwards"),
}


def _walk(work: ReadingsViewPage, area_id: int) -> dict[str, object]:
    book = books.book(work.read(), area_id)
    return {
        "book": book,
        "can_enter": work.actor.can(Perm.READINGS_ENTER),
        # The supervisor edits the order on the same page (folded away on a phone).
        "can_order": work.actor.can(Perm.READINGS_SUPERVISE),
        "order": "\n".join(s.asset_no for s in book.stops),
        "errors": FieldErrors(),
    }


@router.get("/readings/books/{area_id}")
def book_walk(request: Request, area_id: int, work: ReadingsViewPage) -> Response:
    return render(request, "readings/book.html", _walk(work, area_id))


@router.post("/readings/books/{area_id}/order")
def order_submit(
    request: Request,
    area_id: int,
    work: ReadingsSupervisePage,
    order: Annotated[str, Form(max_length=60_000)] = "",
) -> Response:
    def again(errors: FieldErrors, status: int) -> Response:
        context = _walk(work, area_id) | {"order": order, "errors": errors}
        return render(request, "readings/book.html", context, status_code=status)

    return submit(
        request,
        WalkingOrderIn,
        {"order": order},
        ("order",),
        lambda data: books.do_set_walking_order(work.write(), area_id, data.asset_nos()),
        done=lambda _n: flash.redirect(
            request, f"/readings/books/{area_id}", "walking_order_saved"
        ),
        again=again,
        refused=(ValidationProblem, NotFoundError),
    )


@router.get("/readings/reviews")
def review_queue(request: Request, work: ReadingsSupervisePage) -> Response:
    return render(
        request,
        "readings/reviews.html",
        {
            "queue": review_decisions.pending(work.read()),
            "kinds": KIND_LABELS,
            "errors": FieldErrors(),
            "failed": None,
        },
    )


@router.post("/readings/reviews/{reading_review_id}")
def review_decide(
    request: Request,
    reading_review_id: int,
    work: ReadingsSupervisePage,
    decision: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def again(errors: FieldErrors, status: int) -> Response:
        context = {
            "queue": review_decisions.pending(work.read()),
            "kinds": KIND_LABELS,
            "errors": errors,
            "failed": reading_review_id,
        }
        return render(request, "readings/reviews.html", context, status_code=status)

    def done(data: ReviewDecisionIn) -> Response:
        key = "reading_accepted" if data.decision == "accept" else "reading_rejected"
        return flash.redirect(request, "/readings/reviews", key)

    return submit(
        request,
        ReviewDecisionIn,
        {"decision": decision, "note": note},
        ("decision", "note"),
        lambda data: (
            review_decisions.do_decide_review(
                work.write(), reading_review_id, data.decision == "accept", data.note
            ),
            data,
        )[1],
        done=done,
        again=again,
        refused=(ValidationProblem, ConflictError, NotFoundError),
    )
