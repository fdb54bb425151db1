"""Authentication, staff and audit API."""

from __future__ import annotations

from argon2 import PasswordHasher
from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from safegrid.bootstrap import get_platform
from safegrid.platform.paging import Page
from safegrid.security import accounts, audit_log, authn, passwords
from safegrid.security.actor import Actor
from safegrid.security.api_access import (
    AuditVerify,
    AuditView,
    Setup,
    SignedIn,
    StaffManage,
    StaffView,
)
from safegrid.security.guards import client_ip, public
from safegrid.security.login_locations import SecondVerificationRequired
from safegrid.security.schemas import (
    AuditEntryOut,
    LocationVerify,
    MeOut,
    MobileIn,
    PasswordChange,
    SecondVerificationOut,
    SessionOut,
    StaffCreate,
    StaffOut,
    TokenOut,
    TokenRequest,
    TotpConfirm,
    TotpEnrolment,
    VerifyOut,
)

router = APIRouter(prefix="/api", tags=["auth 认证与审计"])


def _hasher() -> PasswordHasher:
    s = get_platform().settings
    return passwords.hasher(s.argon2_time_cost, s.argon2_memory_kib)


@router.post(
    "/auth/token",
    response_model=TokenOut,
    dependencies=[Depends(public("login"))],
    responses={
        401: {"model": SecondVerificationOut},
        429: {
            "description": "too many failed sign-ins from this address or for this name "
            "(ADR 0022); the Retry-After header says when to try again"
        },
    },
)
def issue_token(body: TokenRequest, request: Request) -> TokenOut | JSONResponse:
    """Bearer token for API clients: password plus one-time code (IAM-3). From a network
    never seen for the account the answer is 401 ``second_verification_required`` with a
    ``challenge_id``; send it with the SMS code to ``POST /api/auth/token/verify``."""
    platform = get_platform()
    try:
        result = authn.login(
            platform.uow(Actor.system("authn", "api")),
            body.username,
            body.password,
            body.otp,
            kind="api",
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            session_hours=platform.settings.api_token_hours,
            hasher=_hasher(),
        )
    except SecondVerificationRequired as challenge:
        out = SecondVerificationOut(
            detail=challenge.message,
            challenge_id=challenge.challenge_id,
            sent_to=challenge.sent_to,
            expires_in=challenge.expires_in,
        )
        return JSONResponse(
            out.model_dump(), status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return _token_out(result)


@router.post(
    "/auth/token/verify",
    response_model=TokenOut,
    dependencies=[Depends(public("login second verification"))],
)
def verify_token_location(body: LocationVerify, request: Request) -> TokenOut:
    """Finish a new-location login with the SMS code (IAM-3): 5 minutes, 5 attempts."""
    result = authn.verify_location(
        get_platform().uow(Actor.system("authn", "api")),
        body.challenge_id,
        body.code,
        ip=client_ip(request),
    )
    return _token_out(result)


def _token_out(result: authn.LoginResult) -> TokenOut:
    platform = get_platform()
    return TokenOut(
        access_token=result.token,
        stage=result.stage,
        expires_in=platform.settings.api_token_hours * 3600,
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(work: Setup) -> None:
    if work.actor.session_id is not None:
        authn.logout(work.write(), work.actor.session_id)


@router.get("/auth/me", response_model=MeOut)
def me(work: Setup) -> MeOut:
    return MeOut(
        id=work.actor.account_id,
        username=work.actor.username,
        real_name=work.actor.real_name,
        post=work.actor.post,
        org_unit_id=work.actor.org_unit_id,
        permissions=sorted(p.value for p in work.actor.permissions),
    )


@router.post(
    "/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={429: {"description": "too many failed attempts; see Retry-After (ADR 0022)"}},
)
def change_password(body: PasswordChange, work: Setup) -> None:
    accounts.do_change_password(
        work.write(), body.current_password, body.new_password, hasher=_hasher()
    )


@router.get("/auth/totp", response_model=TotpEnrolment)
def totp_enrolment(work: Setup) -> TotpEnrolment:
    secret, uri = accounts.totp_uri(work.read())
    return TotpEnrolment(secret=secret, otpauth_uri=uri)


@router.post("/auth/totp", status_code=status.HTTP_204_NO_CONTENT)
def confirm_totp(body: TotpConfirm, work: Setup) -> None:
    accounts.do_enrol_totp(work.write(), body.code)


@router.get("/auth/sessions", response_model=list[SessionOut])
def my_sessions(work: SignedIn) -> list[SessionOut]:
    assert work.actor.account_id is not None
    rows = accounts.sessions_of(work.read(), work.actor.account_id)
    return [SessionOut.model_validate(s) for s in rows]


@router.delete("/auth/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_session(session_id: int, work: SignedIn) -> None:
    accounts.do_revoke_session(work.write(), session_id)


@router.get("/staff", response_model=Page[StaffOut])
def list_staff(
    work: StaffView,
    page: int = Query(1, ge=1),
    size: int = Query(50, ge=1, le=200),
) -> Page[StaffOut]:
    items, total = accounts.list_staff(work.read(), (page - 1) * size, size)
    return Page[StaffOut](
        items=[StaffOut.model_validate(a) for a in items], total=total, page=page, size=size
    )


@router.get("/staff/{account_id}", response_model=StaffOut)
def read_staff(account_id: int, work: StaffView) -> StaffOut:
    return StaffOut.model_validate(accounts.get_staff(work.read(), account_id))


@router.post("/staff", response_model=StaffOut, status_code=status.HTTP_201_CREATED)
def create_staff(body: StaffCreate, work: StaffManage) -> StaffOut:
    account_id = accounts.do_create_staff(
        work.write(),
        accounts.NewStaff(
            body.username,
            body.real_name,
            body.post,
            body.org_unit_id,
            body.initial_password,
            body.mobile,
        ),
        hasher=_hasher(),
    )
    return StaffOut.model_validate(accounts.get_staff(work.read(), account_id))


@router.put("/staff/{account_id}/mobile", status_code=status.HTTP_204_NO_CONTENT)
def set_staff_mobile(account_id: int, body: MobileIn, work: StaffManage) -> None:
    """The mobile that receives new-location login codes (IAM-3)."""
    accounts.do_set_mobile(work.write(), account_id, body.mobile)


@router.get("/audit", response_model=Page[AuditEntryOut])
def list_audit(
    work: AuditView,
    page: int = Query(1, ge=1),
    size: int = Query(50, ge=1, le=200),
) -> Page[AuditEntryOut]:
    return audit_log.list_audit(work.read(), page, size)


@router.post("/audit/verify", response_model=VerifyOut)
def verify_audit(work: AuditVerify) -> VerifyOut:
    """Walk the whole chain (AUD-2). Verification reads every entry, whatever the caller's scope."""
    platform = get_platform()
    result = audit_log.do_verify_chain(platform.engine, work.write())
    return VerifyOut(
        ok=result.ok, checked=result.checked, broken_seq=result.broken_seq, reason=result.reason
    )
