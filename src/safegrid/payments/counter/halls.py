"""Which hall a member of staff works at, and the separation-of-duties checks (PAY-1).

A member of staff works at hall H when his unit is H itself or the county (or city) H
hangs under: counter staff usually sit at the county, whose row scope covers the supply
station's customers they take money from. Someone at a county with several halls names
the hall he is working in.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import or_, select

from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform.errors import NotFoundError, PermissionDeniedError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import POLICY, Perm, Post

NO_HALL = "您不在任何营业厅任职 / you are not posted to a business hall"
OTHER_HALL = "您不是该营业厅的人员 / you do not work at this receipt's hall"


def halls_of(uow: UnitOfWork, unit_id: int) -> list[OrgUnit]:
    return list(
        uow.session.scalars(
            select(OrgUnit)
            .where(
                OrgUnit.kind == UnitKind.HALL,
                or_(OrgUnit.id == unit_id, OrgUnit.parent_id == unit_id),
            )
            .order_by(OrgUnit.id)
        ).all()
    )


def working_hall(uow: UnitOfWork, hall_id: int | None = None) -> OrgUnit:
    """The hall the acting person works at now (``hall_id`` chooses among several)."""
    actor = uow.actor
    if actor.account_id is None or actor.org_unit_id is None:
        raise PermissionDeniedError(NO_HALL)
    halls = halls_of(uow, actor.org_unit_id)
    if hall_id is not None:
        chosen = [h for h in halls if h.id == hall_id]
        if not chosen:
            raise ValidationProblem(OTHER_HALL, field="hall_id")
        return chosen[0]
    if not halls:
        raise PermissionDeniedError(NO_HALL)
    if len(halls) > 1:
        raise ValidationProblem(
            "请选择营业厅 / choose the hall you are working at", field="hall_id"
        )
    return halls[0]


def hall(uow: UnitOfWork, hall_id: int) -> OrgUnit:
    unit = uow.session.get(OrgUnit, hall_id)
    if unit is None or unit.kind != UnitKind.HALL:
        raise NotFoundError("营业厅不存在 / hall not found")
    return unit


class HallUnit(Protocol):
    """A hall's unit as an entity or a row of its columns (``id``, ``parent_id``)."""

    @property
    def id(self) -> int: ...
    @property
    def parent_id(self) -> int | None: ...


def works_at(unit_id: int | None, hall_unit: HallUnit) -> bool:
    return unit_id is not None and unit_id in (hall_unit.id, hall_unit.parent_id)


def require_works_at(actor: Actor, hall_unit: OrgUnit) -> None:
    if not works_at(actor.org_unit_id, hall_unit):
        raise PermissionDeniedError(OTHER_HALL)


def deposit_posts() -> list[Post]:
    """Posts whose holders take part in the day's cash (drawer count, safe, bank deposit):
    the only people a deposit may name (cashier, checker, hall manager by today's policy)."""
    return [post for post in Post if Perm.COUNTER_SETTLE in POLICY[post]]


def hall_staff(uow: UnitOfWork, staff_id: int, hall_unit: OrgUnit, field: str) -> StaffAccount:
    """An active member of staff of ``hall_unit`` with a post that deposits cash, named in
    a deposit form."""
    person = uow.session.get(StaffAccount, staff_id)
    if (
        person is None
        or person.status != AccountStatus.ACTIVE
        or not works_at(person.org_unit_id, hall_unit)
        or person.post not in deposit_posts()
    ):
        raise ValidationProblem(
            "该人员不是本营业厅负责解款的在岗员工 / not an active member of this hall's staff "
            "with a post that deposits cash",
            field=field,
        )
    return person
