"""Tariff pages (BILL-3): the tariffs with their versions, and adding a price version."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from safegrid.platform import clock
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.tariffs import services
from safegrid.tariffs.schemas import TariffOut, VersionCreate
from safegrid.web import flash
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.page_access import TariffsManagePage, TariffsViewPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

VERSION_FIELDS: Final = (
    "effective_from",
    "effective_to",
    "base_price",
    "peak_price",
    "valley_price",
    "tier1_limit",
    "tier2_limit",
    "tier2_addon",
    "tier3_addon",
    "tier_year_start_month",
    "note",
)


@router.get("/tariffs")
def tariff_list(request: Request, work: TariffsViewPage) -> Response:
    tariffs = services.list_tariffs(work.read())
    today = clock.business_day()
    rows = [(t, t.current(today)) for t in tariffs]
    return render(request, "tariffs/list.html", {"rows": rows})


def _defaults(tariff: TariffOut) -> dict[str, str]:
    """The form starts from the latest version's figures: a new version usually changes one."""
    latest = tariff.versions[-1] if tariff.versions else None
    values = {name: "" for name in VERSION_FIELDS}
    values["tier_year_start_month"] = "1"
    values["close_current"] = "on"
    if latest is not None:
        for name in VERSION_FIELDS[2:10]:
            value = getattr(latest, name)
            values[name] = "" if value is None else str(value)
    return values


def _detail(
    request: Request,
    work: Work,
    tariff_id: int,
    values: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    tariff = services.get_tariff(work.read(), tariff_id)
    return render(
        request,
        "tariffs/detail.html",
        {
            "tariff": tariff,
            "current": tariff.current(clock.business_day()),
            "can_manage": work.actor.can(Perm.TARIFFS_MANAGE),
            "values": values or _defaults(tariff),
            "errors": errors or FieldErrors(),
        },
        status_code=status_code,
    )


@router.get("/tariffs/{tariff_id}")
def tariff_detail(request: Request, tariff_id: int, work: TariffsViewPage) -> Response:
    return _detail(request, work, tariff_id)


@router.post("/tariffs/{tariff_id}/versions")
def tariff_add_version(
    request: Request,
    tariff_id: int,
    work: TariffsManagePage,
    effective_from: Annotated[str, Form(max_length=10)] = "",
    effective_to: Annotated[str, Form(max_length=10)] = "",
    base_price: Annotated[str, Form(max_length=16)] = "",
    peak_price: Annotated[str, Form(max_length=16)] = "",
    valley_price: Annotated[str, Form(max_length=16)] = "",
    tier1_limit: Annotated[str, Form(max_length=16)] = "",
    tier2_limit: Annotated[str, Form(max_length=16)] = "",
    tier2_addon: Annotated[str, Form(max_length=16)] = "",
    tier3_addon: Annotated[str, Form(max_length=16)] = "",
    tier_year_start_month: Annotated[str, Form(max_length=2)] = "1",
    note: Annotated[str, Form(max_length=200)] = "",
    close_current: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    values = {
        "effective_from": effective_from,
        "effective_to": effective_to,
        "base_price": base_price,
        "peak_price": peak_price,
        "valley_price": valley_price,
        "tier1_limit": tier1_limit,
        "tier2_limit": tier2_limit,
        "tier2_addon": tier2_addon,
        "tier3_addon": tier3_addon,
        "tier_year_start_month": tier_year_start_month,
        "note": note,
        "close_current": "on" if close_current else "",
    }
    given = {k: v.strip() for k, v in values.items() if k != "close_current" and v.strip()}
    for addon in ("tier2_addon", "tier3_addon"):
        given.setdefault(addon, "0")
    return submit(
        request,
        VersionCreate,
        {**given, "close_current": bool(close_current)},
        VERSION_FIELDS,
        lambda data: services.do_add_tariff_version(work.write(), tariff_id, data),
        done=lambda _: flash.redirect(request, f"/tariffs/{tariff_id}", "tariff_version_added"),
        again=lambda errors, status: _detail(request, work, tariff_id, values, errors, status),
    )
