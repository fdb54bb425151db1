"""Customer payment portal (public): enter the account number (户号) and a second fact the
payer knows (the customer name or the last digits of a meter number), see the name masked
and what is owed, pay through the online channel; answer an SMS code when the risk engine
asks for step-up verification (PAY-3, PAY-4, PAY-6).

The page sets a long-lived random device cookie: the risk engine's "same device" rules
count requests by it. Forms on these pages post to SafeGrid, which redirects to the
channel's cashier page, so their CSP also allows the channel's origin as a form target.
"""

from __future__ import annotations

import contextlib
import secrets
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from safegrid.bootstrap import get_platform
from safegrid.payments.online.orders import (
    OrderOutcome,
    do_confirm_step_up,
    do_create_order,
    order_status,
    portal_actor,
)
from safegrid.payments.online.portal import do_look_up
from safegrid.payments.online.settings import get_channel_settings
from safegrid.platform.errors import SafeGridError, ValidationProblem
from safegrid.security.guards import client_ip, public
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

DEVICE_COOKIE = "sg_device"
DEVICE_MAX_AGE = 400 * 24 * 3600


def _device(request: Request) -> tuple[str, bool]:
    found = request.cookies.get(DEVICE_COOKIE, "")
    if 16 <= len(found) <= 64 and found.isalnum():
        return found, False
    return secrets.token_hex(16), True


def _csp_headers() -> dict[str, str]:
    gateway = urlsplit(get_channel_settings().gateway_url)
    origin = f"{gateway.scheme}://{gateway.netloc}"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            f"script-src 'self'; frame-ancestors 'none'; form-action 'self' {origin}"
        )
    }


def _page(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    device, fresh = _device(request)
    response = render(request, template, context, status_code=status_code, headers=_csp_headers())
    if fresh:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=get_platform().settings.cookie_secure,
        )
    return response


def _summary_page(
    request: Request,
    account_no: str,
    proof: str,
    *,
    look_up: bool,
    error: str | None = None,
    error_field: str | None = None,
    amount: str = "",
    status_code: int = 200,
) -> Response:
    summary = None
    if look_up:
        try:
            summary = do_look_up(
                get_platform().uow(portal_actor(client_ip(request))), account_no, proof
            )
        except SafeGridError as exc:
            error, error_field, status_code = exc.message, exc.field, exc.status_code
    if summary is not None and not amount and summary.outstanding > 0:
        amount = f"{min(summary.outstanding, summary.left_today):.2f}"
    return _page(
        request,
        "payments/portal.html",
        {
            "account_no": account_no,
            "proof": proof if summary is not None else "",
            "summary": summary,
            "amount": amount,
            "error": error,
            "error_field": error_field,
        },
        status_code,
    )


@router.get("/portal/pay", dependencies=[Depends(public("customer payment portal"))])
def portal(request: Request, account_no: str = Query("", max_length=20)) -> Response:
    # The number alone shows nothing (issue 12): it only fills in the form.
    return _summary_page(request, account_no.strip(), "", look_up=False)


def _go(request: Request, outcome: OrderOutcome) -> Response:
    if outcome.status == "step_up" or outcome.pay_url is None:
        return _page(
            request,
            "payments/portal_otp.html",
            {
                "order_no": outcome.order_no,
                "challenge": outcome.challenge_id or "",
                "sent_to": outcome.sent_to or "",
                "amount": outcome.amount,
                "error": None,
            },
        )
    return RedirectResponse(outcome.pay_url, status_code=303)


def _return_url(request: Request) -> str:
    return str(request.url_for("portal_return"))


@router.post("/portal/pay", dependencies=[Depends(public("customer payment portal: pay"))])
def portal_pay(
    request: Request,
    account_no: Annotated[str, Form(max_length=20)] = "",
    proof: Annotated[str, Form(max_length=100)] = "",
    amount: Annotated[str | None, Form(max_length=20)] = None,
) -> Response:
    """Without ``amount``: look the account up. With it: pay — the second fact is checked
    again, so the payment form cannot be posted for an account the payer never proved."""
    account_no = account_no.strip()
    if amount is None:
        return _summary_page(request, account_no, proof, look_up=True)
    try:
        do_look_up(get_platform().uow(portal_actor(client_ip(request))), account_no, proof)
    except SafeGridError as exc:
        return _summary_page(
            request,
            account_no,
            "",
            look_up=False,
            error=exc.message,
            error_field=exc.field,
            status_code=exc.status_code,
        )
    try:
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise ValidationProblem("请输入金额 / enter an amount", field="amount") from None
        device, _ = _device(request)
        outcome = do_create_order(
            get_platform().uow(portal_actor(client_ip(request))),
            account_no=account_no,
            amount=value,
            device_id=device,
            return_url=_return_url(request),
        )
    except SafeGridError as exc:
        return _summary_page(
            request,
            account_no,
            proof,
            look_up=True,
            error=exc.message,
            error_field=exc.field,
            amount=amount,
            status_code=exc.status_code,
        )
    return _go(request, outcome)


@router.post(
    "/portal/pay/verify", dependencies=[Depends(public("customer payment portal: SMS code"))]
)
def portal_verify(
    request: Request,
    order_no: Annotated[str, Form(max_length=32)] = "",
    challenge: Annotated[str, Form(max_length=128)] = "",
    code: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    try:
        outcome = do_confirm_step_up(
            get_platform().uow(portal_actor(client_ip(request))),
            order_no,
            challenge,
            code,
            return_url=_return_url(request),
        )
    except SafeGridError as exc:
        view = None
        with contextlib.suppress(SafeGridError):
            view = order_status(
                get_platform().uow(portal_actor(client_ip(request)), readonly=True), order_no
            )
        return _page(
            request,
            "payments/portal_otp.html",
            {
                "order_no": order_no,
                "challenge": challenge,
                "sent_to": "",
                "amount": view.amount if view else Decimal("0.00"),
                "error": exc.message,
            },
            exc.status_code,
        )
    return _go(request, outcome)


@router.get(
    "/portal/pay/return",
    name="portal_return",
    dependencies=[Depends(public("customer payment portal: back from the channel"))],
)
def portal_return(request: Request, merchant_order_no: str = Query("", max_length=32)) -> Response:
    try:
        view = order_status(
            get_platform().uow(portal_actor(client_ip(request)), readonly=True),
            merchant_order_no,
        )
    except SafeGridError as exc:
        return _page(
            request,
            "payments/portal_return.html",
            {"view": None, "error": exc.message},
            exc.status_code,
        )
    response = _page(request, "payments/portal_return.html", {"view": view, "error": None})
    if view.status == "created":
        # The callback usually lands within a second; no inline script is allowed (CSP).
        response.headers["Refresh"] = "2"
    return response
