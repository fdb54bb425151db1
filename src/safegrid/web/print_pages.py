"""Documents printed from the browser (issue 13, item 9): the disconnection notice served on
a customer and the cover sheet of a bank deposit's slip, on A4 (``prints/*.html`` with
``static/css/print.css``). The bill prints from its own page and the receipt on an 80 mm
roll (payments/counter_receipt.html). Amounts carry their Chinese capitals (大写金额)."""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import APIRouter
from starlette.responses import Response

from safegrid.collection.notice_documents import notice_document
from safegrid.org import services as org_services
from safegrid.payments.counter import queries as counter_queries
from safegrid.web.page_access import CollectionViewPage, CounterViewPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/arrears/notices/{notice_id}/print")
def notice_print(request: Request, notice_id: int, work: CollectionViewPage) -> Response:
    return render(request, "prints/notice.html", {"doc": notice_document(work.read(), notice_id)})


@router.get("/counter/settlement/deposits/{deposit_id}/cover")
def deposit_cover(request: Request, deposit_id: int, work: CounterViewPage) -> Response:
    deposit = counter_queries.deposit(work.read(), deposit_id)
    drawers = [
        s
        for s in counter_queries.settlements(work.read(), deposit.business_day, deposit.hall_id)
        if s.deposit_id == deposit.id
    ]
    hall = org_services.get_unit(work.read(), deposit.hall_id)
    return render(
        request,
        "prints/deposit_cover.html",
        {"d": deposit, "drawers": drawers, "hall": hall},
    )
