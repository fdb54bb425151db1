"""Monthly rectification results per team (FLD-8): each station's yellow, red and black
counts for a month, published once (a unique row per team and month), and the red flag
for a team whose last three published months are all clean (no rectification at all)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.fieldwork.rectification import Colour, Rectification
from safegrid.fieldwork.refusals import logged
from safegrid.org.models import OrgScoped, OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.platform.db import Base, UTCDateTime
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.uow import UnitOfWork

CLEAN_MONTHS_FOR_FLAG = 3


class TeamResult(OrgScoped, Base):
    __tablename__ = "field_team_results"
    __table_args__ = (UniqueConstraint("org_unit_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    yellow: Mapped[int] = mapped_column(Integer)
    red: Mapped[int] = mapped_column(Integer)
    black: Mapped[int] = mapped_column(Integer)
    clean: Mapped[bool] = mapped_column(Boolean)
    red_flag: Mapped[bool] = mapped_column(Boolean)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))


@dataclasses.dataclass(frozen=True)
class TeamRow:
    unit: str
    period: str
    yellow: int
    red: int
    black: int
    clean: bool
    red_flag: bool


def month_bounds(period: str) -> tuple[datetime, datetime]:
    try:
        first = date.fromisoformat(f"{period}-01")
    except ValueError:
        raise ValidationProblem("月份格式为 YYYY-MM / period is YYYY-MM", field="period") from None
    nxt = date(first.year + 1, 1, 1) if first.month == 12 else first.replace(month=first.month + 1)
    tz = clock.BUSINESS_TZ
    return datetime.combine(first, time(), tz), datetime.combine(nxt, time(), tz)


def _previous(period: str, n: int) -> list[str]:
    y, m = int(period[:4]), int(period[5:7])
    out = []
    for _ in range(n):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(f"{y:04d}-{m:02d}")
    return out


def do_publish_month(uow: UnitOfWork, period: str) -> list[TeamRow]:
    """Publish a finished month's results for every station in scope (once)."""
    with logged(uow, "fieldteam.publish_refused", "field_team_result", [period]), uow:
        start, end = month_bounds(period)
        if clock.now() < end:
            raise ValidationProblem("月份尚未结束 / the month is not over", field="period")
        teams = list(
            uow.session.scalars(
                select(OrgUnit).where(OrgUnit.kind == UnitKind.STATION).order_by(OrgUnit.id)
            )
        )
        counts = {
            (unit_id, colour): n
            for unit_id, colour, n in uow.session.execute(
                select(Rectification.org_unit_id, Rectification.colour, func.count())
                .where(Rectification.issued_at >= start, Rectification.issued_at < end)
                .group_by(Rectification.org_unit_id, Rectification.colour)
            )
        }
        earlier = _previous(period, CLEAN_MONTHS_FOR_FLAG - 1)
        clean_before = {
            (unit_id, p)
            for unit_id, p in uow.session.execute(
                select(TeamResult.org_unit_id, TeamResult.period).where(
                    TeamResult.period.in_(earlier), TeamResult.clean.is_(True)
                )
            )
        }
        rows = []
        for team in teams:
            y, r, b = (counts.get((team.id, c), 0) for c in Colour)
            clean = y + r + b == 0
            flag = clean and all((team.id, p) in clean_before for p in earlier)
            row = TeamResult(
                org_unit_id=team.id,
                period=period,
                yellow=y,
                red=r,
                black=b,
                clean=clean,
                red_flag=flag,
                published_at=clock.now(),
                published_by=uow.actor.account_id,
            )
            uow.session.add(row)
            rows.append(TeamRow(team.name, period, y, r, b, clean, flag))
        try:
            uow.session.flush()
        except IntegrityError:
            raise ConflictError(
                f"{period} 的结果已发布 / results for {period} were already published",
                field="period",
            ) from None
        uow.audit(
            "fieldteam.published",
            object_type="field_team_result",
            after={
                "period": period,
                "teams": len(rows),
                "red_flags": [r.unit for r in rows if r.red_flag],
            },
        )
        uow.commit()
        return rows
