"""ANA-1 in the utility: the monthly theft scoring of the meters opens inspection work
orders (fieldwork) for the top suspects of each unit, and the inspector's finding is
stored as the label the next training learns from."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safegrid.analytics.artefacts import ModelArtefact
from safegrid.analytics.models import AnalyticsModel, InspectionResult, TheftScore
from safegrid.fieldwork.models import LIVE_STATUSES, WorkOrder, WorkOrderKind
from safegrid.fieldwork.services import NewWorkOrder, do_open_work_order
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.platform.sql_dialect import insert_skipping_conflicts
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.models import DailyReading

if TYPE_CHECKING:
    import pandas as pd

    from safegrid.bootstrap import Platform
    from safegrid.security.actor import Actor

HISTORY_DAYS = 730  # the features compare the last year with the year before
TOP_PER_UNIT = 3
MIN_SCORE = 0.5  # below it nobody is sent out, however high the unit's rank


def do_register_model(uow: UnitOfWork, artefact: ModelArtefact, path: Path) -> int:
    """The artefact's row in analytics_models (once per kind and version)."""
    with uow:
        table = AnalyticsModel.__table__
        inserted = uow.session.execute(
            insert_skipping_conflicts(table, uow.session.get_bind().dialect.name).values(
                kind=artefact.kind,
                version=artefact.version,
                training_data_sha256=artefact.training_data_sha256,
                training_rows=artefact.training_rows,
                params=json.dumps(artefact.params),
                evaluation=json.dumps(artefact.evaluation),
                path=str(path),
                registered_at=clock.now(),
            )
        )
        model_id = uow.session.scalars(
            select(AnalyticsModel.id).where(
                AnalyticsModel.kind == artefact.kind, AnalyticsModel.version == artefact.version
            )
        ).one()
        if inserted.rowcount:  # type: ignore[attr-defined]
            uow.audit(
                "analytics.model_registered",
                object_type="analytics_model",
                object_id=model_id,
                after={"kind": artefact.kind, "version": artefact.version},
            )
            uow.commit()
        return model_id


def meter_daily(uow: UnitOfWork, last_day: date) -> pd.DataFrame:
    """``customer`` (the meter id as text), ``day``, ``kwh`` and ``org_unit_id`` of the
    meters in the caller's scope, for the HISTORY_DAYS up to ``last_day``."""
    import pandas as pd

    rows = uow.session.execute(
        select(DailyReading.meter_id, DailyReading.day, DailyReading.kwh, DailyReading.org_unit_id)
        .where(DailyReading.day > last_day - timedelta(days=HISTORY_DAYS))
        .where(DailyReading.day <= last_day)
    ).all()
    frame = pd.DataFrame(rows, columns=["meter_id", "day", "kwh", "org_unit_id"])
    frame["customer"] = frame["meter_id"].astype(str)
    frame["kwh"] = frame["kwh"].astype("float64")
    return frame


def labelled_meters(uow: UnitOfWork) -> dict[int, int]:
    """meter id → 1 (theft found) / 0 (clean) from the inspections so far."""
    rows = uow.session.execute(
        select(TheftScore.meter_id, TheftScore.result).where(TheftScore.result.is_not(None))
    ).all()
    return {meter: int(result == InspectionResult.THEFT) for meter, result in rows}


def _period_end(period: str) -> date:
    first = date.fromisoformat(f"{period}-01")
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def do_score_month(
    platform: Platform,
    actor: Actor,
    period: str,
    artefact: ModelArtefact,
    model_path: Path,
    *,
    top_per_unit: int = TOP_PER_UNIT,
) -> dict[str, Any]:
    """Score every meter on its readings up to the end of ``period``, store the scores
    (once per period and meter), then open an inspection order for each unit's top
    suspects above MIN_SCORE that have no live inspection already."""
    from safegrid.analytics.theft import model as theft_model

    model_id = do_register_model(platform.uow(actor), artefact, model_path)
    with platform.uow(actor, readonly=True) as uow:
        daily = meter_daily(uow, _period_end(period))
    if daily.empty:
        return {"period": period, "meters": 0, "orders": 0}
    ranked = theft_model.score(artefact, daily[["customer", "day", "kwh"]])
    units = daily.drop_duplicates("customer").set_index("customer")["org_unit_id"]
    ranked["org_unit_id"] = ranked["customer"].map(units)
    ranked["unit_rank"] = ranked.groupby("org_unit_id")["score"].rank(
        ascending=False, method="first"
    )
    now = clock.now()
    with platform.uow(actor) as uow:
        stmt = insert_skipping_conflicts(TheftScore.__table__, uow.session.get_bind().dialect.name)
        uow.session.execute(
            stmt,
            [
                {
                    "period": period,
                    "meter_id": int(r.customer),
                    "org_unit_id": int(r.org_unit_id),
                    "model_id": model_id,
                    "score": float(r.score),
                    "unit_rank": int(r.unit_rank),
                    "reason": str(r.reason)[:300],
                    "scored_at": now,
                }
                for r in ranked.itertuples()
            ],
        )
        uow.audit(
            "analytics.theft_scored",
            object_type="theft_scores",
            after={"period": period, "meters": len(ranked), "model_id": model_id},
        )
        uow.commit()
    orders = _open_inspections(platform, actor, period, top_per_unit)
    return {"period": period, "meters": len(ranked), "orders": orders}


def _open_inspections(platform: Platform, actor: Actor, period: str, top: int) -> int:
    with platform.uow(actor, readonly=True) as uow:
        suspects = uow.session.execute(
            select(TheftScore.id, TheftScore.meter_id)
            .where(TheftScore.period == period, TheftScore.work_order_id.is_(None))
            .where(TheftScore.unit_rank <= top, TheftScore.score >= MIN_SCORE)
            .order_by(TheftScore.id)
        ).all()
    opened = 0
    planned = clock.business_day() + timedelta(days=7)
    for score_id, meter_id in suspects:
        with platform.uow(actor, readonly=True) as uow:
            live = uow.session.scalars(
                select(WorkOrder.id).where(
                    WorkOrder.meter_id == meter_id,
                    WorkOrder.kind == WorkOrderKind.INSPECT,
                    WorkOrder.status.in_(LIVE_STATUSES),
                )
            ).first()
        # A live inspection of the meter (an earlier month's, or this run's before a
        # crash) is linked rather than doubled.
        if live is None:
            live = do_open_work_order(
                platform.uow(actor), NewWorkOrder(WorkOrderKind.INSPECT, meter_id, planned)
            )
            opened += 1
        _link(platform.uow(actor), score_id, live)
    return opened


def _link(uow: UnitOfWork, score_id: int, order_id: int) -> None:
    with uow:
        row = uow.session.get(TheftScore, score_id)
        assert row is not None
        row.work_order_id = order_id
        uow.audit(
            "analytics.inspection_linked",
            object_type="theft_score",
            object_id=score_id,
            org_unit_id=row.org_unit_id,
            after={"work_order_id": order_id},
        )
        uow.commit()


def do_record_inspection(uow: UnitOfWork, score_id: int, result: InspectionResult) -> None:
    """The inspector's finding for a suspect: the label of that meter for the next
    training (safegrid.analytics.theft.model.train's ``labelled``)."""
    with uow:
        row = uow.session.scalars(select(TheftScore).where(TheftScore.id == score_id)).first()
        if row is None:
            raise NotFoundError("评分不存在 / theft score not found", field="score_id")
        if row.result is not None:
            raise ConflictError(f"已记录检查结果 / inspection already recorded: {row.result.value}")
        row.result = InspectionResult(result)
        row.inspected_at = clock.now()
        uow.audit(
            "analytics.inspection_recorded",
            object_type="theft_score",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
            after={"result": row.result.value, "meter_id": row.meter_id},
        )
        uow.commit()
