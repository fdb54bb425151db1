"""ANA-2 in the utility: the daily load of a region (the caller's scope, or one unit's
subtree inside it) forecast from the utility's own readings, with prediction intervals,
by the same linear forecaster measured on ETT (safegrid.analytics.forecast)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select

from safegrid.analytics.forecast import LinearForecaster, Windows, choose, windows
from safegrid.org.models import OrgUnit
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.daily_totals import UnitDailyLoad

LOOKBACK = 56  # eight weeks: the weekly rhythm eight times over
# The candidates choose() weighs on held-out days, as on ETT: four or eight weeks, or both
# averaged; LOOKBACK is the longest.
LOOKBACKS = (28, LOOKBACK)
HISTORY = 365
RIDGE = 10.0


@dataclasses.dataclass(frozen=True)
class LoadForecast:
    org_unit_id: int | None
    last_day: date
    history: list[tuple[date, float]]  # the last LOOKBACK days
    days: list[date]
    kwh: list[float]
    lower: list[float]
    upper: list[float]
    level: float


def daily_load(uow: UnitOfWork, org_unit_id: int | None) -> list[tuple[date, float]]:
    """Total kWh per day over the last HISTORY days of readings of the region (from the
    units' daily totals the readings' writers keep: a few hundred rows per unit)."""
    stmt = select(UnitDailyLoad.day, func.sum(UnitDailyLoad.kwh)).group_by(UnitDailyLoad.day)
    if org_unit_id is not None:
        unit = uow.session.scalars(select(OrgUnit).where(OrgUnit.id == org_unit_id)).first()
        if unit is None:
            raise NotFoundError("单位不存在 / org unit not found", field="org_unit_id")
        stmt = stmt.join(OrgUnit, OrgUnit.id == UnitDailyLoad.org_unit_id).where(
            OrgUnit.path.startswith(unit.path)
        )
    last = uow.session.scalar(select(func.max(UnitDailyLoad.day)))
    if last is None:
        return []
    rows = uow.session.execute(
        stmt.where(UnitDailyLoad.day > last - timedelta(days=HISTORY)).order_by(UnitDailyLoad.day)
    ).all()
    return [(d, float(kwh)) for d, kwh in rows]


def fit_region(series: np.ndarray, days: int) -> tuple[LinearForecaster, tuple[np.ndarray, ...]]:
    """The forecaster for a (days, 1) load series, and the newest windows it never saw
    (for conformal calibration). In time order the windows are split 60 / 20 / 20: fit,
    choosing among LOOKBACKS, calibration."""
    n = len(series) - LOOKBACK - days + 1  # windows; the same targets for every lookback
    fit_end = max(1, int(n * 0.6))
    val_end = max(fit_end + 1, int(n * 0.8))

    def split(lb: int) -> Windows:
        x, y = windows(series[LOOKBACK - lb :], lb, days)
        return x[:fit_end], y[:fit_end], x[fit_end:val_end], y[fit_end:val_end]

    model, _ = choose(split, LOOKBACKS, (RIDGE,))
    x, y = windows(series, LOOKBACK, days)
    return model, (x[val_end:], y[val_end:])


def forecast_load(
    uow: UnitOfWork, org_unit_id: int | None, days: int, level: float = 0.8
) -> LoadForecast:
    with uow:
        load = daily_load(uow, org_unit_id)
    if len(load) < LOOKBACK + days + 28:
        raise ValidationProblem(
            f"历史读数不足（{len(load)} 天） / not enough history: {len(load)} days of readings, "
            f"{LOOKBACK + days + 28} needed",
            field="org_unit_id",
        )
    series = np.array([kwh for _, kwh in load])[:, None]
    model, (x_cal, y_cal) = fit_region(series, days)
    model.calibrate(x_cal, y_cal, levels=(level,))
    recent = series[-LOOKBACK:, 0][None, :]
    lower, upper = model.interval(recent, level)
    last_day = load[-1][0]
    return LoadForecast(
        org_unit_id=org_unit_id,
        last_day=last_day,
        history=load[-LOOKBACK:],
        days=[last_day + timedelta(days=i + 1) for i in range(days)],
        kwh=[round(v, 2) for v in model.predict(recent)[0]],
        lower=[round(max(v, 0.0), 2) for v in lower[0]],
        upper=[round(v, 2) for v in upper[0]],
        level=level,
    )
