"""Analytics console (ANA-5): the arrears-risk list behind the early reminders and the
instalment offers, each unit's theft suspects with the reason in words, and a region's
forecast beside what was then read. Every score shows the model version that produced it;
everything is read in the caller's scope (ORG-2)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Query, Request
from fastapi.routing import APIRouter
from starlette.responses import Response

from safegrid.analytics import dashboards
from safegrid.security.policy import Perm
from safegrid.web.i18n import request_locale
from safegrid.web.page_access import (
    CollectionViewPage,
    CustomersViewPage,
    ReadingsViewPage,
    WorkordersViewPage,
)
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

PERIOD = r"^(\d{4}-(0[1-9]|1[0-2]))?$"


@router.get("/analytics/arrears-risk")
def arrears_risk(
    request: Request,
    work: CollectionViewPage,
    period: str = Query("", pattern=PERIOD),
    offer: bool = Query(False, description="only accounts to offer an instalment plan"),
) -> Response:
    page = dashboards.arrears_risk(work.read(), period or None, offer_only=offer)
    return render(
        request,
        "analytics/arrears_risk.html",
        {"page": page, "offer": offer, "can_manage": work.actor.can(Perm.COLLECTION_MANAGE)},
    )


@router.get("/analytics/theft")
def theft(
    request: Request, work: WorkordersViewPage, period: str = Query("", pattern=PERIOD)
) -> Response:
    return render(
        request,
        "analytics/theft.html",
        {"page": dashboards.theft_suspects(work.read(), period or None)},
    )


@router.get("/analytics/forecast")
def forecast(
    request: Request,
    work: ReadingsViewPage,
    org_unit_id: int | None = Query(None, gt=0),
    days: int = Query(14, ge=7, le=28),
) -> Response:
    units = dashboards.units_in_scope(work.read())
    chosen = org_unit_id or (units[0].id if units else None)
    check = dashboards.forecast_vs_actual(work.read(), chosen, days) if chosen else None
    return render(
        request,
        "analytics/forecast.html",
        {
            "units": units,
            "chosen": chosen,
            "days": days,
            "check": check,
            "chart": _chart(check, str(request_locale(request))) if check else None,
        },
    )


@router.get("/analytics/tariff-advice")
def tariff_advice(
    request: Request,
    work: CustomersViewPage,
    account: str = Query("", max_length=20, description="one account's advice"),
) -> Response:
    rows = dashboards.tariff_advice(work.read(), account.strip() or None)
    return render(request, "analytics/tariff_advice.html", {"rows": rows, "account": account})


def _chart(check: dashboards.ForecastCheck, locale: str) -> dict[str, Any]:
    data = dataclasses.asdict(check)
    labels = [d.isoformat() for d in check.history_days + check.days]
    pad = [None] * len(check.history_days)
    return {
        "labels": labels,
        "history": check.history + [None] * len(check.days),
        "forecast": pad + data["forecast"],
        "actual": pad + data["actual"],
        "locale": locale,
    }
