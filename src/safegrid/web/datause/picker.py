"""The customer picker of the data-use request form (issue 13, item 7): the requester
searches by 户号, customer number or name and ticks customers; the ticked ones stay ticked
through the next search. Customers travel as numbers, never as internal ids."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from safegrid.customers import services as customer_services
from safegrid.datause import request_words
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.paging import PageQuery
from safegrid.web.page_access import DatauseRequestPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

MATCHES: Final = 10


@router.get("/datause/requests/customer-search")
def customer_search(
    request: Request,
    work: DatauseRequestPage,
    q: str = Query("", max_length=64),
    customers: Annotated[list[str] | None, Query(max_length=64)] = None,
) -> Response:
    picked = request_words.pick_customers(work.read(), customers or [])
    found = []
    error = None
    if q.strip():
        try:
            page = customer_services.search_customers(
                work.read(), q, None, None, PageQuery(page=1, size=MATCHES)
            )
            chosen = {c.number for c in picked}
            found = [c for c in page.items if c.number not in chosen]
        except ValidationProblem as exc:
            error = exc.message
    return render(
        request,
        "datause/_pick.html",
        {"picked": picked, "found": found, "searched": q.strip(), "error": error},
    )
