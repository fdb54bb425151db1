"""Demo staff are trained and activated (IAM-8): 16 class-hours, exam and commitment on
record, so every demo login works and the training page shows what activation needs."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from safegrid.governance.models import TrainingRecord
from safegrid.governance.training import MIN_CLASS_HOURS


def seed_training(session: Session, staff_ids: dict[str, int], now: datetime, by: str) -> int:
    """One completed training record per demo account, in one multi-row INSERT."""
    trained = now - timedelta(days=30)
    rows = [
        {
            "account_id": account_id,
            "class_hours": Decimal(MIN_CLASS_HOURS),
            "exam_passed_at": trained,
            "commitment_signed_at": trained,
            "activated_at": trained,
            "updated_at": trained,
            "updated_by": by,
        }
        for account_id in staff_ids.values()
    ]
    if rows:
        session.execute(insert(TrainingRecord), rows)
    return len(rows)
