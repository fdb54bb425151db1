"""Staff administration an administrator can act on (issue 13, item 8): open an account
(it then waits for the security training, IAM-8), and on a colleague's page reset the
password, unlock, freeze. Every action is the governed service's (security.accounts,
governance.staff_admin); the search is on the staff list (/staff?q=)."""

from __future__ import annotations

from typing import Annotated, Final

from argon2 import PasswordHasher
from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.governance import staff_admin
from safegrid.org import services as org_services
from safegrid.platform.errors import SafeGridError
from safegrid.security import accounts, passwords
from safegrid.security.models import AccountStatus
from safegrid.security.policy import Perm, Post
from safegrid.security.schemas import StaffCreate, StaffOut
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, from_service, submit
from safegrid.web.i18n import N_, request_locale
from safegrid.web.page_access import StaffManagePage, StaffViewPage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

NEW_FIELDS: Final = ("username", "real_name", "post", "org_unit_id", "initial_password", "mobile")
STAFF_DONE: Final[dict[str, str]] = {
    "created": N_(
        "The account is open; it can sign in once its training is recorded and it is activated."
    ),
    "unlocked": N_("The account is unlocked."),
    "frozen": N_("The account is frozen and its sessions have ended."),
}


def _hasher() -> PasswordHasher:
    s = get_platform().settings
    return passwords.hasher(s.argon2_time_cost, s.argon2_memory_kib)


def _new_page(
    request: Request,
    work: Work,
    values: dict[str, str],
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    units = org_services.list_units(work.read())
    context = {
        "values": values,
        "errors": errors or FieldErrors(),
        "units": units,
        "depth_base": min((u.path.count("/") for u in units), default=2),
        "posts": [p for p in Post if p != Post.CONTRACTOR],
    }
    return render(request, "admin/staff_new.html", context, status_code=status_code)


@router.get("/staff/new")
def staff_new(request: Request, work: StaffManagePage) -> Response:
    return _new_page(request, work, {})


@router.post("/staff/new")
def staff_create(
    request: Request,
    work: StaffManagePage,
    username: Annotated[str, Form(max_length=64)] = "",
    real_name: Annotated[str, Form(max_length=64)] = "",
    post: Annotated[str, Form(max_length=32)] = "",
    org_unit_id: Annotated[str, Form(max_length=12)] = "",
    initial_password: Annotated[str, Form(max_length=256)] = "",
    mobile: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    values = {"username": username, "real_name": real_name, "post": post,
              "org_unit_id": org_unit_id, "mobile": mobile}  # fmt: skip

    def create(data: StaffCreate) -> int:
        return accounts.do_create_staff(
            work.write(),
            accounts.NewStaff(
                data.username,
                data.real_name,
                data.post,
                data.org_unit_id,
                data.initial_password,
                data.mobile,
            ),
            hasher=_hasher(),
        )

    return submit(
        request,
        StaffCreate,
        {**values, "initial_password": initial_password, "mobile": mobile or None},
        NEW_FIELDS,
        create,
        done=lambda account_id: see_other(request, f"/staff/{account_id}?done=created"),
        again=lambda errors, status: _new_page(request, work, values, errors, status),
        refused=(SafeGridError,),
    )


def _detail(
    request: Request,
    work: Work,
    account_id: int,
    *,
    done: str | None = None,
    temporary: str | None = None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    account = StaffOut.model_validate(accounts.get_staff(work.read(), account_id))
    unit = org_services.get_unit(work.read(), account.org_unit_id)
    context = {
        "s": account,
        "unit": unit,
        "done": done,
        "temporary": temporary,
        "errors": errors or FieldErrors(),
        "is_me": account.id == work.actor.account_id,
        "can_manage": work.actor.can(Perm.STAFF_MANAGE),
        "can_train": work.actor.can(Perm.STAFF_LIFECYCLE),
        "pending": account.status == AccountStatus.PENDING_ACTIVATION,
        "active": account.status == AccountStatus.ACTIVE,
    }
    response = render(request, "admin/staff_detail.html", context, status_code=status_code)
    if temporary:
        response.headers["Cache-Control"] = "no-store"  # the password is shown once
    return response


@router.get("/staff/{account_id}")
def staff_detail(
    request: Request,
    account_id: int,
    work: StaffViewPage,
    done: str = Query("", max_length=16),
) -> Response:
    return _detail(request, work, account_id, done=STAFF_DONE.get(done))


def _refused(request: Request, work: Work, account_id: int, exc: SafeGridError) -> Response:
    errors = from_service(exc, request_locale(request), ("reason",))
    return _detail(request, work, account_id, errors=errors, status_code=exc.status_code)


@router.post("/staff/{account_id}/reset-password")
def staff_reset_password(request: Request, account_id: int, work: StaffManagePage) -> Response:
    try:
        word = staff_admin.do_reset_password(work.write(), account_id, hasher=_hasher())
    except SafeGridError as exc:
        return _refused(request, work, account_id, exc)
    return _detail(request, work, account_id, temporary=word)


@router.post("/staff/{account_id}/unlock")
def staff_unlock(request: Request, account_id: int, work: StaffManagePage) -> Response:
    try:
        staff_admin.do_unlock_staff(work.write(), account_id)
    except SafeGridError as exc:
        return _refused(request, work, account_id, exc)
    return see_other(request, f"/staff/{account_id}?done=unlocked")


@router.post("/staff/{account_id}/freeze")
def staff_freeze(
    request: Request,
    account_id: int,
    work: StaffManagePage,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        staff_admin.do_freeze_staff(work.write(), account_id, reason)
    except SafeGridError as exc:
        return _refused(request, work, account_id, exc)
    return see_other(request, f"/staff/{account_id}?done=frozen")
