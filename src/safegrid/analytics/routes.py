"""Analytics API: the monthly theft scores of the caller's units with the model version
that produced each, and the inspector's finding for a suspect (ANA-1)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from safegrid.analytics.models import AnalyticsModel, InspectionResult, TheftScore
from safegrid.analytics.regional import forecast_load
from safegrid.analytics.theft.inspections import do_record_inspection
from safegrid.security.api_access import ReadingsView, WorkordersAssign, WorkordersView

router = APIRouter(prefix="/api/analytics", tags=["analytics 数据分析"])


class TheftScoreOut(BaseModel):
    id: int
    period: str
    meter_id: int
    org_unit_id: int
    score: float
    unit_rank: int
    reason: str
    model_version: str
    work_order_id: int | None
    result: InspectionResult | None
    scored_at: datetime


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result: InspectionResult = Field(description="theft: confirmed on site; clean: nothing found")


@router.get("/theft/scores", response_model=list[TheftScoreOut])
def theft_scores(
    work: WorkordersView,
    period: str = Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[TheftScoreOut]:
    """Most suspicious first; only meters of the caller's units (ORG-2)."""
    with work.read() as uow:
        rows = uow.session.execute(
            select(TheftScore, AnalyticsModel.version)
            .join(AnalyticsModel, AnalyticsModel.id == TheftScore.model_id)
            .where(TheftScore.period == period)
            .order_by(TheftScore.score.desc(), TheftScore.id)
            .limit(limit)
        ).all()
        return [
            TheftScoreOut(
                id=s.id,
                period=s.period,
                meter_id=s.meter_id,
                org_unit_id=s.org_unit_id,
                score=s.score,
                unit_rank=s.unit_rank,
                reason=s.reason,
                model_version=version,
                work_order_id=s.work_order_id,
                result=s.result,
                scored_at=s.scored_at,
            )
            for s, version in rows
        ]


@router.post("/theft/scores/{theft_score_id}/inspection", status_code=status.HTTP_204_NO_CONTENT)
def record_inspection(theft_score_id: int, body: InspectionIn, work: WorkordersAssign) -> None:
    """The inspection's finding; it becomes the meter's label for the next training."""
    do_record_inspection(work.write(), theft_score_id, body.result)


class LoadForecastOut(BaseModel):
    org_unit_id: int | None
    last_day: date
    history: list[tuple[date, float]]
    days: list[date]
    kwh: list[float]
    lower: list[float]
    upper: list[float]
    level: float


@router.get("/forecast/load", response_model=LoadForecastOut)
def load_forecast(
    work: ReadingsView,
    org_unit_id: int | None = Query(None, gt=0, description="a unit in scope; default: all"),
    days: int = Query(14, ge=1, le=28),
    level: float = Query(0.8, ge=0.5, le=0.99),
) -> LoadForecastOut:
    """Daily kWh of the region forecast from its own readings, with a prediction interval."""
    result = forecast_load(work.read(), org_unit_id, days, level)
    return LoadForecastOut(**dataclasses.asdict(result))
