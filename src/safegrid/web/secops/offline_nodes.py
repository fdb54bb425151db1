"""离线节点 in the console (OPS-6): an administrator, from the allow-listed administration
networks (``Perm.SECOPS_MANAGE`` is an admin permission), registers a hall's local node and
reads its one-time pairing code once, sees every node with its last sync and open cases,
and revokes a node (its batches are refused from then on)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from safegrid.secops.offline import nodes
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.page_access import SecopsManagePage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/secops/offline-nodes"


class RegisterForm(BaseModel):
    hall_id: int = Field(gt=0)
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9-]+$")


class RevokeForm(BaseModel):
    reason: str = Field(min_length=2, max_length=300)


def _page(
    request: Request,
    work: Work,
    errors: FieldErrors | None = None,
    status_code: int = 200,
    registered: nodes.Registered | None = None,
    done: str = "",
) -> Response:
    return render(
        request,
        "secops/offline_nodes.html",
        {
            "rows": nodes.nodes(work.read()),
            "halls": nodes.halls_in_scope(work.read()),
            "errors": errors or FieldErrors(),
            "registered": registered,
            "done": done,
        },
        status_code=status_code,
    )


@router.get(PAGE)
def offline_nodes_page(
    request: Request, work: SecopsManagePage, done: str = Query("", max_length=8)
) -> Response:
    return _page(request, work, done=done)


@router.post(PAGE)
def register_offline_node(
    request: Request,
    work: SecopsManagePage,
    hall_id: Annotated[str, Form(max_length=12)] = "",
    code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    # The pairing code is shown on this answer only (no redirect: it is never stored).
    return submit(
        request,
        RegisterForm,
        {"hall_id": hall_id, "code": code},
        ("hall_id", "code"),
        lambda data: nodes.do_register_node(work.write(), data.hall_id, data.code),
        done=lambda registered: _page(request, work, registered=registered, status_code=201),
        again=lambda errors, status: _page(request, work, errors, status),
    )


@router.post(PAGE + "/{offline_node_id}/revoke")
def revoke_offline_node(
    request: Request,
    offline_node_id: int,
    work: SecopsManagePage,
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    return submit(
        request,
        RevokeForm,
        {"reason": reason},
        ("reason",),
        lambda data: nodes.do_revoke_node(work.write(), offline_node_id, data.reason),
        done=lambda _r: see_other(request, PAGE + "?done=revoked"),
        again=lambda errors, status: _page(request, work, errors, status),
    )
