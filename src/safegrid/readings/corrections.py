"""Correcting a closed month's usage (the first half of 退补, BILL-7).

Closing a period freezes each meter's month into ``monthly_usage``, which bill runs price.
When a reading of a closed month turns out wrong (a misread dial, a wrong estimate), the
month's frozen figures are corrected here — audited with before and after — and the bills
already issued stay as they are until ``safegrid billing reprice`` prices them again.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.events import UsageCorrected
from safegrid.readings.models import MonthlyUsage
from safegrid.readings.repository import ReadingRepository
from safegrid.security.masking import snapshot

SOURCE = "correction"
_HUNDREDTH = Decimal("0.01")


def _kwh(value: Decimal | None, field: str) -> Decimal | None:
    if value is None:
        return None
    if value < 0 or value != value.quantize(_HUNDREDTH):
        raise ValidationProblem(
            f"电量应为非负数，最多两位小数 / {field} must be ≥ 0 with at most 2 decimals",
            field=field,
        )
    return value


def do_correct_usage(
    uow: UnitOfWork,
    asset_no: str,
    period: str,
    kwh: Decimal,
    reason: str,
    *,
    peak_kwh: Decimal | None = None,
    valley_kwh: Decimal | None = None,
) -> int:
    """Set the frozen usage of meter ``asset_no`` in closed ``period``; returns the account
    id whose bills from ``period`` on should be re-priced."""
    reason = reason.strip()
    if len(reason) < 4:
        raise ValidationProblem(
            "请说明更正原因 / give the reason for the correction", field="reason"
        )
    total = _kwh(kwh, "kwh")
    peak, valley = _kwh(peak_kwh, "peak_kwh"), _kwh(valley_kwh, "valley_kwh")
    assert total is not None
    with uow:
        meter = ReadingRepository(uow).meter_by_asset(asset_no.strip())
        if meter is None:
            raise NotFoundError("电表不存在 / meter not found")
        row = uow.session.scalars(
            select(MonthlyUsage)
            .where(MonthlyUsage.meter_id == meter.id, MonthlyUsage.period == period)
            .with_for_update()
        ).first()
        if row is None:
            raise ValidationProblem(
                f"电表 {asset_no} 在 {period} 没有已关账的电量 / meter {asset_no} has no frozen "
                f"usage for {period}: only a closed month can be corrected",
                field="period",
            )
        tou = row.peak_kwh is not None
        if tou and (peak is None or valley is None):
            raise ValidationProblem(
                "分时电表须给出峰、谷电量 / a time-of-use meter needs peak and valley kWh",
                field="peak_kwh",
            )
        if not tou and (peak is not None or valley is not None):
            raise ValidationProblem(
                "该电表不分时 / this meter does not read peak and valley", field="peak_kwh"
            )
        if tou and peak is not None and valley is not None and peak + valley > total:
            raise ValidationProblem(
                "峰谷电量之和超过总电量 / peak + valley exceed the total kWh", field="kwh"
            )
        before = snapshot(row)
        kwh_before = row.kwh
        row.kwh, row.peak_kwh, row.valley_kwh = total, peak, valley
        row.estimated, row.source = False, SOURCE
        uow.audit(
            "readings.usage.correct",
            object_type="monthly_usage",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
            before=before,
            after=snapshot(row),
            note=reason,
        )
        uow.emit(
            UsageCorrected(
                meter_id=meter.id,
                account_id=row.account_id,
                period=period,
                kwh_before=kwh_before,
                kwh=total,
                org_unit_id=row.org_unit_id,
            )
        )
        uow.commit()
        return row.account_id
