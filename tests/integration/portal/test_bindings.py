"""HALL-6 / HALL-10: a portal customer binds his 户号 after proving it (the pay page's
second-fact rule), sees only bound accounts, and cannot take someone else's: a wrong proof
or an account bound to another number is a clear error, logged, nothing changed. Two
numbers binding one account at the same instant: exactly one wins (a unique constraint,
raced for real on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.portal import accounts, statements
from safegrid.portal.models import PortalBinding
from safegrid.security.audit import AuditEntry
from tests.fixtures.portal import account_of, sign_in
from tests.fixtures.world import World


def _count(world: World, entity: object, *where: object) -> int:
    with world.platform.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(entity).where(*where)) or 0)  # type: ignore[arg-type]


def test_hall_6_bind_see_only_bound_and_unbind(world: World) -> None:
    _t, me = sign_in(world)
    number, name = account_of(world, "stationA")
    other, _ = account_of(world, "stationB")
    bound = accounts.do_bind(world.platform.uow(me.actor), me, number, name)
    assert bound.number == number and "*" in bound.masked_name
    # Binding it again changes nothing.
    accounts.do_bind(world.platform.uow(me.actor), me, number, name)
    assert [a.number for a in accounts.bound_accounts(world.platform.uow(me.actor), me)] == [number]
    view = statements.statement(world.platform.uow(me.actor, readonly=True), me, number)
    assert view.account.number == number
    with pytest.raises(NotFoundError):  # an account he has not bound does not exist for him
        statements.statement(world.platform.uow(me.actor, readonly=True), me, other)
    accounts.do_unbind(world.platform.uow(me.actor), me, number)
    assert accounts.bound_accounts(world.platform.uow(me.actor), me) == []
    with pytest.raises(NotFoundError):
        statements.statement(world.platform.uow(me.actor, readonly=True), me, number)


def test_hall_6_someone_elses_account_is_refused_and_logged(world: World) -> None:
    _t, me = sign_in(world)
    number, name = account_of(world, "stationA")
    before = _count(world, AuditEntry, AuditEntry.action == "portal.bind_refused")
    with pytest.raises(ValidationProblem) as wrong:
        accounts.do_bind(world.platform.uow(me.actor), me, number, "张冒名")
    assert wrong.value.field == "proof"
    assert _count(world, PortalBinding) == 0
    # The holder binds it; a second number with the right name still cannot take it.
    _t, holder = sign_in(world)
    accounts.do_bind(world.platform.uow(holder.actor), holder, number, name)
    with pytest.raises(ConflictError):
        accounts.do_bind(world.platform.uow(me.actor), me, number, name)
    assert _count(world, PortalBinding, PortalBinding.customer_id == me.customer_id) == 0
    after = _count(world, AuditEntry, AuditEntry.action == "portal.bind_refused")
    assert after == before + 2


def test_hall_6_two_numbers_binding_one_account_at_once_one_wins(world: World) -> None:
    number, name = account_of(world, "stationA")
    people = [sign_in(world)[1] for _ in range(4)]
    barrier = threading.Barrier(len(people))
    results: list[object] = [None] * len(people)

    def bind(i: int) -> None:
        barrier.wait()
        try:
            results[i] = accounts.do_bind(
                world.platform.uow(people[i].actor), people[i], number, name
            )
        except Exception as exc:  # the refusal is the result under test
            results[i] = exc

    threads = [threading.Thread(target=bind, args=(i,)) for i in range(len(people))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    won = [r for r in results if isinstance(r, accounts.BoundAccount)]
    lost = [r for r in results if isinstance(r, ConflictError)]
    assert len(won) == 1 and len(lost) == len(people) - 1, results
    assert _count(world, PortalBinding, PortalBinding.account_id == won[0].account_id) == 1
