"""Correcting a closed month's usage (the first half of 退补, BILL-7).

Closing a period freezes each meter's month into ``monthly_usage``, which bill runs price.
When a reading of a closed month turns out wrong (a misread dial, a wrong estimate), the
month's frozen figures are corrected — never by editing: a correction is proposed and
approved by a second person (:mod:`.correction_requests`), and only the approval applies
it here, audited with before and after, and re-prices the bills in the same transaction.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Final

from safegrid.platform.errors import ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.events import UsageCorrected
from safegrid.readings.models import MonthlyUsage
from safegrid.security.masking import snapshot

SOURCE: Final = "correction"
REASON_MIN: Final = 4
_HUNDREDTH = Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class Figures:
    """A month's usage: total kWh, and peak/valley on a time-of-use meter."""

    kwh: Decimal
    peak_kwh: Decimal | None = None
    valley_kwh: Decimal | None = None


def _kwh(value: Decimal | None, field: str) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(_HUNDREDTH):
        raise ValidationProblem(
            f"电量应为非负数，最多两位小数 / {field} must be ≥ 0 with at most 2 decimals",
            field=field,
        )
    return value


def check_reason(reason: str, field: str = "reason") -> str:
    reason = reason.strip()
    if len(reason) < REASON_MIN:
        raise ValidationProblem("请说明更正原因 / give the reason for the correction", field=field)
    return reason


def check_figures(figures: Figures) -> Figures:
    total = _kwh(figures.kwh, "kwh")
    assert total is not None
    return Figures(
        total, _kwh(figures.peak_kwh, "peak_kwh"), _kwh(figures.valley_kwh, "valley_kwh")
    )


def check_shape(row: MonthlyUsage, new: Figures) -> None:
    """``new`` fits the month's meter: peak and valley exactly on a time-of-use meter."""
    tou = row.peak_kwh is not None
    peak, valley = new.peak_kwh, new.valley_kwh
    if tou and (peak is None or valley is None):
        raise ValidationProblem(
            "分时电表须给出峰、谷电量 / a time-of-use meter needs peak and valley kWh",
            field="peak_kwh",
        )
    if not tou and (peak is not None or valley is not None):
        raise ValidationProblem(
            "该电表不分时 / this meter does not read peak and valley", field="peak_kwh"
        )
    if peak is not None and valley is not None and peak + valley > new.kwh:
        raise ValidationProblem(
            "峰谷电量之和超过总电量 / peak + valley exceed the total kWh", field="kwh"
        )


def apply_correction(
    uow: UnitOfWork, row: MonthlyUsage, new: Figures, reason: str, request_id: int
) -> None:
    """Set the frozen usage ``row`` (locked by the caller) to ``new`` inside ``uow``:
    audited with before and after, announced after commit."""
    check_shape(row, new)
    before = snapshot(row)
    kwh_before = row.kwh
    row.kwh, row.peak_kwh, row.valley_kwh = new.kwh, new.peak_kwh, new.valley_kwh
    row.estimated, row.source = False, SOURCE
    uow.audit(
        "readings.usage.correct",
        object_type="monthly_usage",
        object_id=row.id,
        org_unit_id=row.org_unit_id,
        before=before,
        after={**snapshot(row), "correction_request_id": request_id},
        note=reason,
    )
    uow.emit(
        UsageCorrected(
            meter_id=row.meter_id,
            account_id=row.account_id,
            period=row.period,
            kwh_before=kwh_before,
            kwh=new.kwh,
            org_unit_id=row.org_unit_id,
        )
    )
