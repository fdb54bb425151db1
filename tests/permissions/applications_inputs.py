"""Inside/outside objects and example bodies for the 业扩 application routes (HALL-6): an
application of a stationA customer is handled by hallA (countyA, the callers' county), one
of a stationB customer by hallB (countyB)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safegrid.applications import services
from safegrid.applications.schemas import ApplicationSubmit, RequestMore
from safegrid.customers.models import Account
from safegrid.security.policy import POLICY, Perm
from tests.fixtures.world import Staff, World
from tests.integration.applications.support import JPEG, PDF, deed, identity

if TYPE_CHECKING:  # inputs.py imports this module
    from tests.permissions.inputs import Ctx


def _account_no(w: World, unit: str) -> str:
    """One customer account per unit and test (kept on the world): an account takes any
    number of applications, and opening one per post made the matrix twice as slow."""
    known: dict[str, str] = w.__dict__.setdefault("_application_accounts", {})
    if unit not in known:
        known[unit] = _open_account(w, unit)
    return known[unit]


def _open_account(w: World, unit: str) -> str:
    customer_id = w.customer(unit)
    w.meter(customer_id, w.reading_area(unit))
    with w.platform.engine.connect() as c:
        return str(c.scalar(select(Account.number).where(Account.customer_id == customer_id)))


def _filed(w: World, unit: str, *, ask: bool = False) -> int:
    out = services.do_submit(
        w.platform.uow(w.system()),
        ApplicationSubmit(account_no=_account_no(w, unit), kind="lv_new", capacity_kva=Decimal(8)),
        [identity(), deed()],
    )
    if ask:
        services.do_request_more(
            w.platform.uow(w.system()), out.id, RequestMore(missing="身份证背面")
        )
    return out.id


def _shared_or_fresh(
    w: World, s: Staff, key: str, make: Callable[[World, str], int]
) -> tuple[int, int]:
    """A fresh pair for a post that may change an application (``hall.serve``); the others
    only read or are refused, so one pair per test serves them all (the matrix asks for a
    pair per post, and filing one is most of its time here)."""
    if Perm.HALL_SERVE in POLICY[s.post]:
        return make(w, "stationA"), make(w, "stationB")
    shared: dict[str, tuple[int, int]] = w.__dict__.setdefault("_application_pairs", {})
    if key not in shared:
        shared[key] = make(w, "stationA"), make(w, "stationB")
    return shared[key]


def _application(w: World, s: Staff) -> tuple[int, int]:
    return _shared_or_fresh(w, s, "application", lambda w, unit: _filed(w, unit))


def _document_in(w: World, unit: str) -> int:
    from safegrid.applications.models import ApplicationDocument

    app_id = _filed(w, unit)
    with w.platform.engine.connect() as c:
        return int(
            c.scalar(
                select(ApplicationDocument.id)
                .where(ApplicationDocument.application_id == app_id)
                .limit(1)
            )
            or 0
        )


def _document(w: World, s: Staff) -> tuple[int, int]:
    return _shared_or_fresh(w, s, "document", _document_in)


def _submit(c: Ctx) -> dict[str, Any]:
    return {
        "data": {
            "account_no": _account_no(c.world, "stationA"),
            "kind": "lv_new",
            "capacity_kva": "8",
        },
        "files": {
            "identity": ("身份证.jpg", JPEG, "image/jpeg"),
            "property": ("房产证.pdf", PDF, "application/pdf"),
        },
    }


APPLICATIONS_PARAMS = {"application_id": _application, "document_id": _document}
APPLICATIONS_BODIES = {
    "GET /api/applications/form": lambda c: {
        "params": {"account_no": _account_no(c.world, "stationA")}
    },
    "POST /api/applications": _submit,
    "POST /api/applications/{application_id}/accept": lambda c: {"json": {"note": "受理"}},
    "POST /api/applications/{application_id}/request-more": lambda c: {
        "json": {"missing": "房产证明", "working_days": 3}
    },
    "POST /api/applications/{application_id}/reject": lambda c: {"json": {"reason": "不具备条件"}},
    # The example application is submitted, not waiting for more: the refusal (409) shows
    # the guard let the caller through.
    "POST /api/applications/{application_id}/supply": lambda c: {"data": {"note": "补充"}},
    # Console forms.
    "POST /applications/new": _submit,
    "POST /applications/{application_id}/supply": lambda c: {"data": {"note": "补充"}},
    "POST /applications/{application_id}/accept": lambda c: {"data": {"note": "受理"}},
    "POST /applications/{application_id}/request-more": lambda c: {
        "data": {"missing": "房产证明", "working_days": "3"}
    },
    "POST /applications/{application_id}/reject": lambda c: {"data": {"reason": "不具备条件"}},
}
APPLICATIONS_ALLOWED_BUSINESS = {
    "POST /api/applications/{application_id}/supply": {409},
    "POST /applications/{application_id}/supply": {409},
}
