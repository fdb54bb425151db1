"""The portal customer's own pages: home, his accounts (bind / unbind), one account's
bills, usage chart and notices, and paying through the online channel (PAY-3/4: the same
orders, risk engine and gateway as the public pay page, no second path)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.payments.online.orders import do_create_order
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    SafeGridError,
    ValidationProblem,
)
from safegrid.portal import accounts, statements
from safegrid.portal.schemas import Bind
from safegrid.security.lockout import LoginThrottledError
from safegrid.web.forms import FieldErrors, from_service, submit
from safegrid.web.i18n import request_locale
from safegrid.web.payments.portal import _csp_headers, _device, _go, _return_url
from safegrid.web.portal.guard import Me
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


def _render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    # The pay form's answer redirects to the channel's cashier page: its CSP allows that.
    return render(
        request,
        f"portal/{template}",
        {"me": request.state.portal, **context},
        status_code=status_code,
        headers=_csp_headers(),
    )


@router.get("/portal")
def home(request: Request, me: Me) -> Response:
    mine = accounts.bound_accounts(get_platform().uow(me.actor, readonly=True), me)
    return _render(request, "home.html", {"accounts": mine})


def _accounts_page(
    request: Request,
    me: Me,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    mine = accounts.bound_accounts(get_platform().uow(me.actor, readonly=True), me)
    return _render(
        request,
        "accounts.html",
        {"accounts": mine, "errors": errors or FieldErrors(), "values": values or {}},
        status_code,
    )


@router.get("/portal/accounts")
def account_list(request: Request, me: Me) -> Response:
    return _accounts_page(request, me)


@router.post("/portal/accounts")
def bind(
    request: Request,
    me: Me,
    account_no: Annotated[str, Form(max_length=20)] = "",
    proof: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    values = {"account_no": account_no, "proof": proof}
    return submit(
        request,
        Bind,
        values,
        ["account_no", "proof"],
        lambda data: accounts.do_bind(
            get_platform().uow(me.actor), me, data.account_no, data.proof
        ),
        done=lambda bound: see_other(request, f"/portal/accounts/{bound.number}"),
        again=lambda errors, status: _accounts_page(
            request, me, errors=errors, values={"account_no": account_no}, status_code=status
        ),
        refused=(ValidationProblem, ConflictError, LoginThrottledError),
    )


@router.post("/portal/accounts/{account_no}/unbind")
def unbind(request: Request, me: Me, account_no: str) -> Response:
    accounts.do_unbind(get_platform().uow(me.actor), me, account_no)
    return see_other(request, "/portal/accounts")


def _statement_page(
    request: Request,
    me: Me,
    account_no: str,
    *,
    errors: FieldErrors | None = None,
    amount: str = "",
    status_code: int = 200,
) -> Response:
    view = statements.statement(get_platform().uow(me.actor, readonly=True), me, account_no)
    if not amount and view.outstanding > 0:
        amount = f"{view.outstanding:.2f}"
    return _render(
        request,
        "account.html",
        {"view": view, "errors": errors or FieldErrors(), "amount": amount},
        status_code,
    )


@router.get("/portal/accounts/{account_no}")
def account_page(request: Request, me: Me, account_no: str) -> Response:
    return _statement_page(request, me, account_no)


@router.post("/portal/accounts/{account_no}/pay")
def pay(
    request: Request, me: Me, account_no: str, amount: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    """Pays through the online channel as the public pay page does (same order service,
    risk engine and limits); only for an account he has bound."""
    account = accounts.bound_account(get_platform().uow(me.actor, readonly=True), me, account_no)
    try:
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise ValidationProblem("请输入金额 / enter an amount", field="amount") from None
        outcome = do_create_order(
            get_platform().uow(me.actor),
            account_no=account.number,
            amount=value,
            device_id=_device(request)[0],
            return_url=_return_url(request),
        )
    except NotFoundError:
        raise
    except SafeGridError as exc:
        errors = from_service(exc, request_locale(request), ["amount"])
        return _statement_page(
            request, me, account_no, errors=errors, amount=amount, status_code=exc.status_code
        )
    # To the channel's cashier page, or the SMS step-up page when the risk engine asks.
    return _go(request, outcome)
