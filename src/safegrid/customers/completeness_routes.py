"""Archive completeness (BILL-1) over the API: per unit of the caller's scope, with the
customers whose archive lacks something and what."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from safegrid.customers.completeness import completeness
from safegrid.security.api_access import CustomersView

router = APIRouter(prefix="/api/archive", tags=["customers 客户"])


@router.get("/completeness")
def archive_completeness(work: CustomersView) -> dict[str, Any]:
    found = completeness(work.read())
    return {
        "units": [
            {
                "org_unit_id": u.org_unit_id,
                "unit": u.unit_name,
                "customers": u.customers,
                "complete": u.complete,
                "ratio": u.ratio,
            }
            for u in found.units
        ],
        "missing": [
            {"customer": m.customer_number, "org_unit_id": m.org_unit_id, "missing": m.missing}
            for m in found.missing
        ],
    }
