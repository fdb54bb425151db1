"""Portal sign-in: mobile number → SMS code → the portal's own session cookie."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.platform.errors import AuthenticationError, ValidationProblem
from safegrid.portal import signin
from safegrid.portal.code_throttle import CodeThrottledError
from safegrid.portal.identity import anonymous_actor
from safegrid.portal.schemas import CodeRequest, SignIn
from safegrid.security.guards import client_ip, public
from safegrid.security.lockout import LoginThrottledError
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.portal.guard import PORTAL_COOKIE, Me, set_session_cookie
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    *,
    mobile: str = "",
    sent_to: str | None = None,
    errors: FieldErrors | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "mobile": mobile,
        "sent_to": sent_to,
        "errors": errors or FieldErrors(),
        "notice": notice,
    }
    return render(request, "portal/login.html", context, status_code=status_code)


@router.get("/portal/login", dependencies=[Depends(public("customer portal: sign in"))])
def login(request: Request, expired: int = 0) -> Response:
    notice = signin.SIGNED_OUT if expired else None
    response = _page(request, notice=notice)
    if expired:
        response.delete_cookie(PORTAL_COOKIE, path="/portal")
    return response


@router.post(
    "/portal/login/code", dependencies=[Depends(public("customer portal: send an SMS code"))]
)
def send_code(request: Request, mobile: Annotated[str, Form(max_length=20)] = "") -> Response:
    uow = get_platform().uow(anonymous_actor(client_ip(request)))
    return submit(
        request,
        CodeRequest,
        {"mobile": mobile},
        ["mobile"],
        lambda data: signin.do_request_code(uow, data.mobile),
        done=lambda sent_to: _page(request, mobile=mobile.strip(), sent_to=sent_to),
        again=lambda errors, status: _page(
            request, mobile=mobile, errors=errors, status_code=status
        ),
        refused=(ValidationProblem, LoginThrottledError, CodeThrottledError),
    )


@router.post("/portal/login", dependencies=[Depends(public("customer portal: sign in"))])
def sign_in(
    request: Request,
    mobile: Annotated[str, Form(max_length=20)] = "",
    code: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    uow = get_platform().uow(anonymous_actor(client_ip(request)))

    def done(result: tuple[str, object]) -> Response:
        response = see_other(request, "/portal")
        set_session_cookie(response, result[0])
        return response

    return submit(
        request,
        SignIn,
        {"mobile": mobile, "code": code},
        ["mobile", "code"],
        lambda data: signin.do_sign_in(uow, data.mobile, data.code),
        done=done,
        again=lambda errors, status: _page(
            request, mobile=mobile.strip(), sent_to="", errors=errors, status_code=status
        ),
        refused=(ValidationProblem, AuthenticationError, LoginThrottledError),
    )


@router.post("/portal/logout")
def sign_out(request: Request, me: Me) -> Response:
    signin.do_sign_out(get_platform().uow(me.actor), me)
    response = see_other(request, "/portal/login")
    response.delete_cookie(PORTAL_COOKIE, path="/portal")
    return response
