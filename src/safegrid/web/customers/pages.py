"""Customer archive pages (BILL-1): search, detail, registration; and the meter list.

Values arrive masked from the services (DATA-3); out-of-scope records raise NotFoundError
in the service, which the app renders as the 404 page (ORG-2).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.customers import services
from safegrid.customers.models import CustomerKind
from safegrid.customers.schemas import CustomerCreate, DirectDebitOut, DirectDebitUpdate
from safegrid.datause import reveal as datause_reveal
from safegrid.org import services as org_services
from safegrid.platform.paging import PageQuery
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web import flash
from safegrid.web.customers.overview import overview
from safegrid.web.forms import FieldErrors, describe, submit
from safegrid.web.i18n import request_locale
from safegrid.web.page_access import CustomersEditPage, CustomersViewPage, MetersViewPage
from safegrid.web.redirects import is_htmx
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE: Final = 20
CUSTOMER_FIELDS: Final = (
    "kind",
    "name",
    "id_number",
    "credit_code",
    "mobile",
    "address",
    "org_unit_id",
    "is_key_customer",
)


@router.get("/customers")
def customer_list(
    request: Request,
    work: CustomersViewPage,
    q: str = Query("", max_length=100),
    kind: str = Query("", max_length=16),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    result = services.search_customers(
        work.read(),
        q.strip() or None,
        kind or None,
        None,
        PageQuery(page=page, size=PAGE_SIZE),
    )
    context = {
        "result": result,
        "q": q,
        "kind": kind,
        "kinds": list(CustomerKind),
        "params": {"q": q, "kind": kind},
        "can_register": work.actor.can(Perm.CUSTOMERS_EDIT),
    }
    # htmx live search swaps only the results; without JS the form reloads the whole page.
    template = "customers/_results.html" if is_htmx(request) else "customers/list.html"
    return render(request, template, context)


def _form_page(
    request: Request,
    work: Work,
    values: dict[str, str],
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    units = org_services.list_units(work.read())
    return render(
        request,
        "customers/new.html",
        {
            "values": values,
            "errors": errors or FieldErrors(),
            "kinds": list(CustomerKind),
            "units": units,
            "depth_base": min((u.path.count("/") for u in units), default=2),
        },
        status_code=status_code,
    )


# Declared before /customers/{customer_id}, which would otherwise try to read "new" as an id.
@router.get("/customers/new")
def customer_new_form(request: Request, work: CustomersEditPage) -> Response:
    values = {"kind": CustomerKind.RESIDENT.value, "org_unit_id": str(work.actor.org_unit_id or "")}
    return _form_page(request, work, values)


@router.post("/customers/new")
def customer_new_submit(
    request: Request,
    work: CustomersEditPage,
    kind: Annotated[str, Form(max_length=16)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    id_number: Annotated[str, Form(max_length=64)] = "",
    credit_code: Annotated[str, Form(max_length=64)] = "",
    mobile: Annotated[str, Form(max_length=32)] = "",
    address: Annotated[str, Form(max_length=400)] = "",
    org_unit_id: Annotated[str, Form(max_length=12)] = "",
    is_key_customer: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    values = {
        "kind": kind,
        "name": name,
        "id_number": id_number,
        "credit_code": credit_code,
        "mobile": mobile,
        "address": address,
        "org_unit_id": org_unit_id,
        "is_key_customer": "on" if is_key_customer else "",
    }
    return submit(
        request,
        CustomerCreate,
        {
            **{k: v for k, v in values.items() if k != "is_key_customer"},
            "is_key_customer": bool(is_key_customer),
        },
        CUSTOMER_FIELDS,
        lambda data: services.do_register_customer(work.write(), data),
        done=lambda customer_id: flash.redirect(
            request, f"/customers/{customer_id}", "customer_registered"
        ),
        again=lambda errors, status: _form_page(request, work, values, errors, status),
    )


@router.get("/customers/{customer_id}")
def customer_detail(
    request: Request,
    customer_id: int,
    work: CustomersViewPage,
) -> Response:
    customer = services.get_customer(work.read(), customer_id)
    # Fields an active data-use grant of the caller covers get a "reveal" button (DATA-4).
    revealable = (
        datause_reveal.revealable_fields(work.read(), customer_id)
        if work.actor.can(Perm.DATAUSE_REQUEST)
        else []
    )
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "revealable": revealable,
            "ov": overview(work, customer),
            "can": {p.name.lower(): work.actor.can(p) for p in Perm},
        },
    )


DIRECT_DEBIT_FIELDS: Final = ("bank_name", "bank_account")


def _direct_debit_page(
    request: Request,
    current: DirectDebitOut,
    values: dict[str, str],
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    # The stored account number is never put back into the form: only its masked form
    # (last 4) is shown beside it (DATA-3); a new sign-up always types the full number.
    return render(
        request,
        "customers/direct_debit.html",
        {"current": current, "values": values, "errors": errors or FieldErrors()},
        status_code=status_code,
    )


# The account id alone locates the form (the customer is read from it), so a URL can never
# pair an account with somebody else's customer page.
@router.get("/customers/accounts/{power_account_id}/direct-debit")
def direct_debit_form(
    request: Request,
    power_account_id: int,
    work: CustomersEditPage,
) -> Response:
    current = services.get_direct_debit(work.read(), power_account_id)
    return _direct_debit_page(request, current, {"bank_name": current.bank_name or ""})


@router.post("/customers/accounts/{power_account_id}/direct-debit")
def direct_debit_submit(
    request: Request,
    power_account_id: int,
    work: CustomersEditPage,
    bank_name: Annotated[str, Form(max_length=64)] = "",
    bank_account: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(max_length=8)] = "save",
) -> Response:
    # Read first: an account outside the caller's region is a 404 before anything else.
    current = services.get_direct_debit(work.read(), power_account_id)
    values = {"bank_name": bank_name, "bank_account": bank_account}
    locale = request_locale(request)
    cancel = action == "cancel"
    errors = FieldErrors()
    if not cancel:
        # Saving with both fields empty would silently cancel; cancelling is its own button.
        for field in DIRECT_DEBIT_FIELDS:
            if not values[field].strip():
                errors.add(field, describe({"type": "missing"}, locale))
    if errors:
        return _direct_debit_page(request, current, values, errors, 422)
    notice = "direct_debit_cancelled" if cancel else "direct_debit_set"
    return submit(
        request,
        DirectDebitUpdate,
        {"bank_name": None, "bank_account": None} if cancel else values,
        DIRECT_DEBIT_FIELDS,
        lambda data: services.do_set_direct_debit(work.write(), power_account_id, data),
        done=lambda _: flash.redirect(request, f"/customers/{current.customer_id}", notice),
        again=lambda errors, status: _direct_debit_page(request, current, values, errors, status),
    )


@router.get("/meters")
def meter_list(
    request: Request,
    work: MetersViewPage,
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    result = services.list_meters(work.read(), None, PageQuery(page=page, size=PAGE_SIZE))
    return render(request, "meters/list.html", {"result": result, "params": {}})
