"""Customer profiles in the console (ANA-4): the learned weights of the seed's model, an
account's most similar customers by total matching degree, and the t-SNE map of the
profiles — all over the accounts in the caller's units (ORG-2)."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request
from fastapi.routing import APIRouter
from starlette.responses import Response

from safegrid.analytics.profile.groups import ABSENT, GROUPS
from safegrid.analytics.profile.jobs import loaded
from safegrid.analytics.profile.lookup import Profile, matches_for, profile_map, weight_rows
from safegrid.bootstrap import get_platform
from safegrid.platform.errors import NotFoundError
from safegrid.web.page_access import CustomersViewPage
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/analytics/profiles")
def profiles(
    request: Request,
    work: CustomersViewPage,
    account: str = Query("", max_length=20, description="户号: list its most similar customers"),
    k: int = Query(10, ge=1, le=50),
) -> Response:
    current = loaded(get_platform())
    context: dict[str, Any] = {"account": account, "k": k, "absent": ABSENT, "problem": None}
    profile: Profile | None = None
    status = 200
    if current is not None and account.strip():
        try:
            profile = matches_for(work.read(), current[1], account.strip(), k)
        except NotFoundError as missing:
            context["problem"], status = str(missing), 404
    context.update(
        artefact=current[0] if current else None,
        weights=weight_rows(current[1]) if current else [],
        groups=[(g.key, g.label) for g in GROUPS if current and g.key in current[1].lam],
        profile=profile,
    )
    return render(request, "analytics/profiles.html", context, status_code=status)


@router.get("/analytics/profiles/map")
def profiles_map(request: Request, work: CustomersViewPage) -> Response:
    current = loaded(get_platform())
    points = profile_map(work.read(), current[1]) if current else None
    chart = None
    if points is not None and len(points):
        chart = {
            "points": [
                {"x": float(r.x), "y": float(r.y), "c": str(r.category), "t": float(r.total)}
                for r in points.itertuples()
            ],
        }
    return render(
        request,
        "analytics/profile_map.html",
        {"artefact": current[0] if current else None, "chart": chart},
    )
