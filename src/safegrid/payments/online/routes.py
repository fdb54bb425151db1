"""Online payment API: the channel's callback (public: the caller is the channel, whose
RSA2 signature is checked by the service, not a signed-in staff member)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse

from safegrid.payments.online.callbacks.intake import (
    MAX_FIELDS,
    URLENCODED,
    parse_form,
    receive_callback,
)
from safegrid.security.guards import client_ip, public

router = APIRouter(prefix="/api/payments/online", tags=["payments"])


async def _fields(request: Request) -> dict[str, str]:
    """Channels post ``application/x-www-form-urlencoded`` (usually answered by the fast
    path, ``payments/online/callbacks/endpoint.py``, before reaching this route); anything else
    goes through Starlette's form parser."""
    if request.headers.get("content-type", "").startswith(URLENCODED):
        return parse_form(await request.body())
    form = await request.form(max_fields=MAX_FIELDS)
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post(
    "/callbacks/sandbox",
    response_class=PlainTextResponse,
    dependencies=[Depends(public("payment channel callback, verified by its RSA2 signature"))],
)
async def sandbox_callback(request: Request) -> PlainTextResponse:
    """Answers exactly ``success`` once the payment is recorded (also for a repeat); a
    4xx JSON error naming the field otherwise (unsigned, bad signature, unknown order,
    amount differs from the order); 503 if it could not be recorded (send it again)."""
    params = await _fields(request)
    return PlainTextResponse(await receive_callback(params, client_ip(request)))
