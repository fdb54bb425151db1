"""AUD-1 in the kernel: a writing unit of work refuses to commit a change without an audit
entry however the change was written — ORM objects, bulk ORM statements or Core statements
run through the session — without the service saying that it wrote."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pytest
from sqlalchemy import Table, delete, insert, select, update

from safegrid.customers.events import CustomerRegistered
from safegrid.org.models import OrgUnit
from safegrid.platform.outbox import OutboxMessage
from safegrid.platform.uow import UnauditedChangeError, UnitOfWork
from tests.fixtures.world import World

_UNITS = cast(Table, OrgUnit.__table__)
_OUTBOX = cast(Table, OutboxMessage.__table__)


def _bulk_orm_update(uow: UnitOfWork, unit_id: int) -> None:
    uow.session.execute(
        update(OrgUnit).where(OrgUnit.id == unit_id).values(name_en="renamed quietly"),
        execution_options={"synchronize_session": False},
    )


def _core_update(uow: UnitOfWork, unit_id: int) -> None:
    uow.session.execute(
        update(_UNITS).where(_UNITS.c.id == unit_id).values(name_en="renamed quietly")
    )


def _core_insert(uow: UnitOfWork, unit_id: int) -> None:
    parent = uow.session.get_one(OrgUnit, unit_id)
    uow.session.execute(
        insert(_UNITS),
        [
            {
                "code": "QUIET-1",
                "name": "悄悄",
                "name_en": "quiet",
                "kind": "station",
                "parent_id": unit_id,
                "path": f"{parent.path}999999/",
            }
        ],
    )


def _on_the_connection(uow: UnitOfWork, unit_id: int) -> None:
    uow.session.connection().execute(
        update(_UNITS).where(_UNITS.c.id == unit_id).values(name_en="renamed quietly")
    )


def _bulk_delete(uow: UnitOfWork, _unit_id: int) -> None:
    uow.session.execute(delete(OutboxMessage))  # not state: allowed…
    uow.session.execute(delete(OrgUnit).where(OrgUnit.code == "no-such-unit"))  # …this is


WRITES: dict[str, Callable[[UnitOfWork, int], None]] = {
    "bulk ORM update": _bulk_orm_update,
    "Core update": _core_update,
    "Core insert": _core_insert,
    "bulk delete": _bulk_delete,
    "on session.connection()": _on_the_connection,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_aud_1_statement_write_without_audit_is_refused_at_commit(
    world: World, write: Callable[[UnitOfWork, int], None]
) -> None:
    unit = world.units["stationA"]
    with world.platform.uow(world.system()) as uow:
        write(uow, unit)
        with pytest.raises(UnauditedChangeError):
            uow.commit()
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(OrgUnit.name_en).where(OrgUnit.id == unit)) != (
            "renamed quietly"
        )
        assert uow.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "QUIET-1")) is None


def test_aud_1_statement_write_with_audit_commits(world: World) -> None:
    unit = world.units["stationA"]
    with world.platform.uow(world.system()) as uow:
        _bulk_orm_update(uow, unit)
        uow.audit("org.rename", object_type="org_unit", object_id=unit)
        uow.commit()
    with world.platform.uow(world.system(), readonly=True) as uow:
        name = uow.session.scalar(select(OrgUnit.name_en).where(OrgUnit.id == unit))
    assert name == "renamed quietly"


def test_aud_1_an_uncommitted_statement_write_is_rolled_back(world: World) -> None:
    unit = world.units["stationA"]
    with world.platform.uow(world.system()) as uow:
        _core_update(uow, unit)
        uow.audit("org.rename", object_type="org_unit", object_id=unit)
        # leaves without commit
    with world.platform.uow(world.system(), readonly=True) as uow:
        name = uow.session.scalar(select(OrgUnit.name_en).where(OrgUnit.id == unit))
    assert name != "renamed quietly"


def test_events_alone_are_no_state_change(world: World) -> None:
    """The outbox and the audit chain record changes; writing them is not one."""
    with world.platform.uow(world.system()) as uow:
        uow.emit(CustomerRegistered(customer_id=1, org_unit_id=1))
        uow.session.execute(delete(_OUTBOX).where(_OUTBOX.c.topic == "nothing"))
        uow.commit()  # no UnauditedChangeError
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalars(select(OutboxMessage.topic)).all() == ["CustomerRegistered"]
