"""Who is told about a key-field change: the managers of the object's unit.

A unit's managers are its active staff on a managing post — department head (部门负责人),
service-hall manager (营业厅主任) or team leader (班组长). If the unit has none (a station
usually has no department head of its own), the nearest ancestor unit that has any is used,
up to the province. Utility-wide objects (tariffs) belong to the root unit. The person
who made the change, and a staff account whose own post changed, are not counted: an alert
is for someone else to check the change.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegrid.org.models import OrgUnit
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Post
from safegrid.security.scope import unscoped

MANAGER_POSTS: Final = (Post.DEPARTMENT_HEAD, Post.HALL_MANAGER, Post.TEAM_LEADER)


def root_unit_id(session: Session) -> int | None:
    found = session.scalar(
        select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1),
        execution_options=unscoped("the root unit, above the changer's subtree"),
    )
    return None if found is None else int(found)


def managers_of(
    session: Session, org_unit_id: int, exclude: frozenset[int] = frozenset()
) -> list[StaffAccount]:
    """The managers of the unit, or of its nearest ancestor that has any; nearest first.
    Unscoped on purpose: the person making the change need not see his managers' rows."""
    path = session.scalar(
        select(OrgUnit.path).where(OrgUnit.id == org_unit_id),
        execution_options=unscoped("managers above the changer's unit are told"),
    )
    if path is None:
        return []
    chain = [int(p) for p in path.strip("/").split("/")][::-1]  # the unit first, root last
    rows = session.scalars(
        select(StaffAccount)
        .where(
            StaffAccount.org_unit_id.in_(chain),
            StaffAccount.post.in_(MANAGER_POSTS),
            StaffAccount.status == AccountStatus.ACTIVE,
        )
        .order_by(StaffAccount.id),
        execution_options=unscoped("managers above the changer's unit are told"),
    ).all()
    for unit_id in chain:
        here = [s for s in rows if s.org_unit_id == unit_id and s.id not in exclude]
        if here:
            return here
    return []
