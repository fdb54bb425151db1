"""Permission-matrix inputs of the reconciliation console (REC-1): a statement previewed
(nothing stored), so every post with reconciliation.work gets 200."""

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


RECON_BODIES = {"POST /reconciliation/statements": _statement}
