"""The data inventory page (DATA-1): generated from the column declarations."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.security.actor import Actor
from safegrid.security.classification import inventory
from safegrid.security.guards import require_page
from safegrid.security.policy import Perm
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/data/inventory")
def data_inventory(
    request: Request, actor: Actor = Depends(require_page(Perm.DATA_INVENTORY_VIEW))
) -> Response:
    rows = inventory(get_platform().uow(actor, readonly=True))
    return render(request, "data/inventory.html", {"rows": rows})
