"""Permission-matrix inputs of the reconciliation console (REC-1, REC-3, REC-4): a statement
previewed (nothing stored), so every post with reconciliation.work gets 200; the case and
report forms name a case or a month that does not exist (the service's 404 proves the guard
let the caller through) or a malformed code (422), so nothing is written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from safegrid.reconciliation import writers


def _statement(_c: Any) -> dict[str, Any]:
    sheet = writers.Sheet(
        "MATRIX-1", "M1", Decimal("1.00"), [writers.Line(Decimal("2.00"), date(2026, 11, 3), "R1")]
    )
    return {
        "files": {"file": ("s.xml", writers.camt053([sheet]), "text/xml")},
        "data": {"action": "preview"},
    }


NONE = "999999"
RECON_BODIES = {
    "POST /reconciliation/statements": _statement,
    # A long-past empty month: the run writes nothing but its audit entry.
    "POST /reconciliation/run": lambda c: {"data": {"period": "2019-01"}},
    "POST /reconciliation/items/review": lambda c: {
        "data": {"item_id": NONE, "decision": "accept", "reason": "权限矩阵", "period": "2019-01"}
    },
    "POST /reconciliation/cases/assign": lambda c: {"data": {"case_id": NONE, "owner_id": "1"}},
    "POST /reconciliation/cases/resolve": lambda c: {
        "data": {"case_id": NONE, "cause": "technical", "detail": "权限矩阵", "ticket": "T-1"}
    },
    "POST /reconciliation/cases/close": lambda c: {"data": {"case_id": NONE, "note": "权限矩阵"}},
    "POST /reconciliation/report/sign": lambda c: {"data": {"period": "2019-01", "otp": "abc"}},
    "POST /reconciliation/report/verify": lambda c: {"data": {"period": "2019-01"}},
    "GET /reconciliation/report/file": lambda c: {"params": {"period": "2019-01", "kind": "pdf"}},
}
RECON_ALLOWED_BUSINESS: dict[str, set[int]] = {
    # A 422 (bad period) proves the guard let the caller through; a real run answers 303.
    "POST /reconciliation/run": {422},
    "POST /reconciliation/items/review": {404},
    "POST /reconciliation/cases/assign": {404},
    "POST /reconciliation/cases/resolve": {404},
    "POST /reconciliation/cases/close": {404},
    "POST /reconciliation/report/sign": {422},
    "POST /reconciliation/report/verify": {404},
    "GET /reconciliation/report/file": {404},
}
