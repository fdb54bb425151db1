"""Row scope (ORG-2): the one place visibility is enforced.

Every ORM statement run in a session carries the caller's :class:`Scope` in
``session.info``. A ``do_orm_execute`` hook adds the org-subtree criterion to every
:class:`~safegrid.org.models.OrgScoped` entity in the statement (including joins,
subqueries and relationship loads). A session without a scope refuses to query, so a
forgotten filter fails closed instead of leaking another county's customers.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from sqlalchemy import event, false, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from safegrid.org.models import OrgScoped, OrgUnit
from safegrid.platform.uow import SCOPE

SKIP_SCOPE = "safegrid_skip_scope"  # only unscoped() sets it
_MIN_REASON = 8  # characters: a few words, not a placeholder
_PATH = re.compile(r"(/\d+)+/")


class UnscopedWithoutReasonError(RuntimeError):
    """A statement asked to skip the row scope without saying why."""


def unscoped(reason: str) -> dict[str, Any]:
    """Execution options for a statement that must see every org unit's rows.

    The reason is required and kept on the statement, so each exemption from ORG-2 is
    explained where it is made (e.g. ``unscoped("numbers are unique platform-wide")``) and
    a bare ``{SKIP_SCOPE: True}`` is refused at execution time.
    """
    if not _is_reason(reason):
        raise UnscopedWithoutReasonError("unscoped() needs a reason of a few words")
    return {SKIP_SCOPE: reason}


class ScopeMissingError(RuntimeError):
    """A query ran in a session that was never given a scope."""


@dataclasses.dataclass(frozen=True)
class ContractorView:
    """What a contractor may see (IAM-7): the meters of work orders assigned to him and their
    supply points, the orders themselves, his own account — and no other scoped row. Empty
    sets after his service end date, so access ends without anyone acting."""

    account_id: int
    meter_ids: frozenset[int]
    supply_point_ids: frozenset[int]
    # No service end date, or past it: not even his own orders (an installation at a site
    # without a meter carries the site's position and no meter to withhold).
    ended: bool = False


@dataclasses.dataclass(frozen=True)
class Scope:
    org_path: str | None
    reading_area_ids: frozenset[int] | None = None
    contractor: ContractorView | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(org_path=None)

    @classmethod
    def subtree(
        cls,
        path: str,
        reading_area_ids: frozenset[int] | None = None,
        contractor: ContractorView | None = None,
    ) -> Scope:
        # Digits and slashes only: the path is used in a LIKE prefix match.
        if not _PATH.fullmatch(path):
            raise ValueError(f"malformed org path {path!r}")
        return cls(org_path=path, reading_area_ids=reading_area_ids, contractor=contractor)

    @property
    def unrestricted(self) -> bool:
        return self.org_path is None and self.reading_area_ids is None and self.contractor is None

    def covers_path(self, path: str) -> bool:
        return self.org_path is None or path.startswith(self.org_path)


def bind_scope(session: Session, scope: Scope) -> None:
    session.info[SCOPE] = scope


def _subtree_ids(path: str) -> Any:
    return select(OrgUnit.id).where(OrgUnit.path.startswith(path))


@functools.lru_cache(maxsize=4096)
def _subtree_criteria(path: str) -> tuple[Any, ...]:
    """The two criteria of an org subtree, built once per path: every statement of every
    request runs through this hook. They are SQL with the path bound in, not rows, so
    nothing read from the database is kept (a moved account gets a new path, a new key)."""
    subtree = _subtree_ids(path)
    return (
        with_loader_criteria(
            OrgScoped, lambda cls: cls.org_unit_id.in_(subtree), include_aliases=True
        ),
        with_loader_criteria(OrgUnit, lambda cls: cls.path.startswith(path), include_aliases=True),
    )


@functools.lru_cache(maxsize=512)
def _in_subtree(statement: Any, path: str) -> Any:
    """``statement`` limited to the subtree, kept per statement object and path: a
    statement built once (the queue's, the token lookup's) is then limited once too, and
    its cache key, which SQLAlchemy computes for every new statement object, is computed
    once. Keyed by the object itself (held here, so its identity cannot be reused); the
    values a statement carries are its own, so the copy is the same query."""
    return statement.options(*_subtree_criteria(path))


def _is_reason(value: object) -> bool:
    return isinstance(value, str) and len(value.strip()) >= _MIN_REASON


@event.listens_for(Session, "do_orm_execute")
def _apply_scope(state: ORMExecuteState) -> None:
    skip = state.execution_options.get(SKIP_SCOPE)
    if skip is not None:
        # Only unscoped(reason) puts a reason here; a bare flag is refused for every kind
        # of statement, so an exemption from ORG-2 is always explained where it is made.
        if not _is_reason(skip):
            raise UnscopedWithoutReasonError(
                f"scope skipped without a reason ({skip!r}); use unscoped('why')"
            )
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # criteria added to the parent statement propagate to these loads
    scope: Scope | None = state.session.info.get(SCOPE)
    if scope is None:
        raise ScopeMissingError("query run without a scope; open the session through a UnitOfWork")
    if scope.org_path is not None:
        state.statement = _in_subtree(state.statement, scope.org_path)
    if scope.reading_area_ids is not None:
        from safegrid.customers.models import Meter

        areas = sorted(scope.reading_area_ids)
        state.statement = state.statement.options(
            with_loader_criteria(
                Meter, lambda cls: cls.reading_area_id.in_(areas), include_aliases=True
            )
        )
    if scope.contractor is not None:
        state.statement = state.statement.options(*_contractor_criteria(scope.contractor))


def _contractor_criteria(view: ContractorView) -> list[Any]:
    """Deny by default: every scoped table shows nothing to a contractor except the few
    listed here, so a table added later is closed to contractors until someone opens it."""
    from safegrid.customers.models import Meter, SupplyPoint
    from safegrid.fieldwork.models import WorkOrder
    from safegrid.platform.db import Base
    from safegrid.security.models import StaffAccount

    meters, points = sorted(view.meter_ids), sorted(view.supply_point_ids)
    allowed: dict[type[Any], Any] = {
        Meter: Meter.id.in_(meters),
        SupplyPoint: SupplyPoint.id.in_(points),
        WorkOrder: false() if view.ended else WorkOrder.assignee_id == view.account_id,
        StaffAccount: StaffAccount.id == view.account_id,
    }
    options: list[Any] = []
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if not issubclass(cls, OrgScoped) or mapper.inherits is not None:
            continue
        criterion = allowed.get(cls, false())
        options.append(with_loader_criteria(cls, criterion, include_aliases=True))
    return options
