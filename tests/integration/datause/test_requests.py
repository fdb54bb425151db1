"""DATA-4: data-use requests go requester → department head → data security officer →
time-limited grant; no one approves his own request; approvers act only inside their area."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from safegrid.datause import workflow
from safegrid.datause.models import DataUseGrant, DataUseRequest, RequestStatus
from safegrid.datause.schemas import Decision, RequestCreate
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.outbox import OutboxMessage
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.datause import approve, file_request
from tests.fixtures.world import World

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _count(world: World, model: type) -> int:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def _actions(world: World) -> list[str]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_data_4_request_two_approvals_make_a_time_limited_grant(world: World) -> None:
    clock.set_clock(clock.FixedClock(T0))
    agent = world.staff(Post.HALL_AGENT, "hallA")
    customer = world.customer("hallA")
    request_id = file_request(world, agent, customer_ids=[customer], days=5)
    assert (
        workflow.get_request(
            world.platform.uow(world.actor(agent), readonly=True), request_id
        ).status
        == "pending_head"
    )
    grant_id = approve(world, request_id)
    with world.platform.uow(world.system(), readonly=True) as uow:
        grant = uow.session.get_one(DataUseGrant, grant_id)
        req = uow.session.get_one(DataUseRequest, request_id)
        assert req.status == RequestStatus.APPROVED
        assert grant.grantee_id == agent.id and grant.customer_ids == [customer]
        assert grant.valid_to == T0 + timedelta(days=5)
        topics = set(uow.session.scalars(select(OutboxMessage.topic)))
    assert {"DataUseRequested", "DataUseRequestDecided", "DataUseGranted"} <= topics
    actions = _actions(world)
    assert {"datause.request", "datause.approve_head", "datause.approve_dso"} <= set(actions)
    mine = workflow.my_grants(world.platform.uow(world.actor(agent), readonly=True))
    assert [g.id for g in mine] == [grant_id] and mine[0].active


def test_data_4_self_approval_refused(world: World) -> None:
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    request_id = file_request(world, head, scope_unit="stationA")
    with pytest.raises(PermissionDeniedError, match="own request"):
        workflow.do_decide(
            world.platform.uow(world.actor(head)), request_id, "head", Decision(approve=True)
        )
    assert _count(world, DataUseGrant) == 0


def test_data_4_same_person_cannot_take_both_steps(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    request_id = file_request(world, agent)
    workflow.do_decide(
        world.platform.uow(world.actor(head)), request_id, "head", Decision(approve=True)
    )
    # A head actor holding the DSO step (the route guard would stop him; the service too).
    with pytest.raises(PermissionDeniedError, match="two different"):
        workflow.do_decide(
            world.platform.uow(world.actor(head)), request_id, "dso", Decision(approve=True)
        )


def test_data_4_approval_out_of_scope_is_not_found(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    request_id = file_request(world, agent)
    foreign_head = world.staff(Post.DEPARTMENT_HEAD, "countyB")
    foreign_dso = world.staff(Post.DATA_SECURITY_OFFICER, "cityB")
    before = _count(world, AuditEntry)
    with pytest.raises(NotFoundError):
        workflow.do_decide(
            world.platform.uow(world.actor(foreign_head)),
            request_id,
            "head",
            Decision(approve=True),
        )
    workflow.do_decide(
        world.platform.uow(world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))),
        request_id,
        "head",
        Decision(approve=True),
    )
    before = _count(world, AuditEntry)
    with pytest.raises(NotFoundError):
        workflow.do_decide(
            world.platform.uow(world.actor(foreign_dso)), request_id, "dso", Decision(approve=True)
        )
    assert _count(world, AuditEntry) == before


def test_data_4_steps_in_order_and_rejection_ends_it(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    dso = world.staff(Post.DATA_SECURITY_OFFICER, "prov")
    request_id = file_request(world, agent)
    with pytest.raises(ConflictError, match="not waiting"):
        workflow.do_decide(
            world.platform.uow(world.actor(dso)), request_id, "dso", Decision(approve=True)
        )
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    out = workflow.do_decide(
        world.platform.uow(world.actor(head)),
        request_id,
        "head",
        Decision(approve=False, note="目的不明确"),
    )
    assert out.status == RequestStatus.REJECTED and out.head_note == "目的不明确"
    with pytest.raises(ConflictError):
        workflow.do_decide(
            world.platform.uow(world.actor(dso)), request_id, "dso", Decision(approve=True)
        )
    assert _count(world, DataUseGrant) == 0


def test_data_4_period_too_long_names_the_field(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    with pytest.raises(ValidationProblem) as err:
        file_request(world, agent, days=31)
    assert err.value.field == "period_to" and "30" in err.value.message
    with pytest.raises(ValidationProblem) as err:
        file_request(world, agent, start=clock.now() - timedelta(days=10), days=5)
    assert err.value.field == "period_to"
    assert _count(world, DataUseRequest) == 0


def test_data_4_customers_and_scope_must_be_inside_the_requesters_area(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    outside = world.customer("stationB")
    with pytest.raises(ValidationProblem) as err:
        file_request(world, agent, customer_ids=[outside])
    assert err.value.field == "customer_ids"
    with pytest.raises(ValidationProblem) as err:
        file_request(world, agent, scope_unit="countyB")
    assert err.value.field == "scope_unit_id"
    assert _count(world, DataUseRequest) == 0


def test_data_4_bad_request_shapes_refused() -> None:
    base = {
        "purpose": "核实身份",
        "period_from": "2026-03-01T00:00:00+08:00",
        "period_to": "2026-03-02T00:00:00+08:00",
    }
    with pytest.raises(ValidationError, match="fields"):
        RequestCreate.model_validate({**base, "fields": ["salary"], "scope_unit_id": 1})
    with pytest.raises(ValidationError, match="either"):
        RequestCreate.model_validate({**base, "fields": ["id_number"]})
    with pytest.raises(ValidationError, match="timezone"):
        RequestCreate.model_validate(
            {
                **base,
                "fields": ["id_number"],
                "scope_unit_id": 1,
                "period_to": "2026-03-02T00:00:00",
            }
        )


def test_data_4_inbox_shows_requests_at_the_callers_step(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "hallA")
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    dso = world.staff(Post.DATA_SECURITY_OFFICER, "prov")
    request_id = file_request(world, agent)
    assert [r.id for r in workflow.inbox(world.platform.uow(world.actor(head), readonly=True))] == [
        request_id
    ]
    assert workflow.inbox(world.platform.uow(world.actor(dso), readonly=True)) == []
    workflow.do_decide(
        world.platform.uow(world.actor(head)), request_id, "head", Decision(approve=True)
    )
    assert [r.id for r in workflow.inbox(world.platform.uow(world.actor(dso), readonly=True))] == [
        request_id
    ]
    assert (
        workflow.inbox(
            world.platform.uow(
                world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyB")), readonly=True
            )
        )
        == []
    )
