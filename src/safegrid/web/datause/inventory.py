"""The data inventory page (DATA-1): generated from the column declarations."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from safegrid.security.classification import inventory
from safegrid.web.page_access import DataInventoryViewPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/data/inventory")
def data_inventory(request: Request, work: DataInventoryViewPage) -> Response:
    rows = inventory(work.read())
    return render(request, "data/inventory.html", {"rows": rows})
