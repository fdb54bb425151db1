"""IAM-4 three-level permission change with separation of duties; IAM-6 idle accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from safegrid.governance import idle, permchange
from safegrid.governance import jobs as governance_jobs
from safegrid.governance.models import ChangeStatus, ReviewStatus
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, PermissionDeniedError
from safegrid.security import authn
from safegrid.security.actor import Actor
from safegrid.security.models import AccountStatus, AuditEntry, StaffAccount
from safegrid.security.policy import Post
from tests.fixtures.world import Staff, World

T0 = datetime(2026, 11, 1, 2, 0, 0, tzinfo=UTC)


def _uow(world: World, staff: Staff) -> object:
    return world.platform.uow(world.actor(staff))


def _apply(world: World, applicant: Staff, target: Staff, post: Post = Post.CHECKER) -> int:
    return permchange.do_apply(
        world.platform.uow(world.actor(applicant)),
        permchange.NewChange(target.id, post, "轮岗至复核岗位"),
    )


def _post(world: World, staff: Staff) -> Post:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return uow.session.get_one(StaffAccount, staff.id).post


def test_iam_4_leader_then_head_then_admin_executes_and_sessions_end(world: World) -> None:
    target = world.staff(Post.CASHIER, "stationA")
    leader = world.staff(Post.TEAM_LEADER, "stationA")
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    token = world.token(target)
    change = _apply(world, target, target)  # the employee applies, giving his reason
    # Out of order: the head cannot decide before the leader, the admin cannot execute.
    with pytest.raises(ConflictError):
        permchange.do_approve(world.platform.uow(world.actor(head)), change, "head", approve=True)
    with pytest.raises(ConflictError, match="not approved"):
        permchange.do_execute(world.platform.uow(world.actor(admin)), change)
    assert (
        permchange.do_approve(
            world.platform.uow(world.actor(leader)), change, "leader", approve=True
        )
        == ChangeStatus.PENDING_HEAD
    )
    assert (
        permchange.do_approve(world.platform.uow(world.actor(head)), change, "head", approve=True)
        == ChangeStatus.APPROVED
    )
    permchange.do_execute(world.platform.uow(world.actor(admin)), change)
    assert _post(world, target) == Post.CHECKER
    with pytest.raises(Exception, match="revoked"):
        authn.resolve(world.platform.uow(Actor.system("t"), readonly=True), token, "api")
    with world.platform.uow(world.system(), readonly=True) as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("permchange.%"))
        ).all()
    assert actions == [
        "permchange.applied",
        "permchange.approved",
        "permchange.approved",
        "permchange.executed",
    ]


def test_iam_4_no_one_approves_his_own_request_or_one_about_himself(world: World) -> None:
    leader = world.staff(Post.TEAM_LEADER, "stationA")
    other_leader = world.staff(Post.TEAM_LEADER, "stationA")
    cashier = world.staff(Post.CASHIER, "stationA")
    own = _apply(world, leader, cashier)
    with pytest.raises(PermissionDeniedError, match="your own request"):
        permchange.do_approve(world.platform.uow(world.actor(leader)), own, "leader", approve=True)
    about_me = _apply(world, cashier, leader, Post.DEPARTMENT_HEAD)
    with pytest.raises(PermissionDeniedError, match="concerning yourself"):
        permchange.do_approve(
            world.platform.uow(world.actor(leader)), about_me, "leader", approve=True
        )
    permchange.do_approve(
        world.platform.uow(world.actor(other_leader)), about_me, "leader", approve=False, note="否"
    )
    [rejected] = [
        r
        for r in permchange.list_requests(
            world.platform.uow(world.actor(other_leader), readonly=True)
        )
        if r.id == about_me
    ]
    assert rejected.status == ChangeStatus.REJECTED and rejected.rejection_note == "否"


def test_iam_4_each_step_only_within_scope(world: World) -> None:
    applicant = world.staff(Post.TEAM_LEADER, "countyB")
    target = world.staff(Post.CASHIER, "stationB")
    change = _apply(world, applicant, target)
    leader_a = world.staff(Post.TEAM_LEADER, "countyA")
    with pytest.raises(NotFoundError):
        permchange.do_approve(
            world.platform.uow(world.actor(leader_a)), change, "leader", approve=True
        )
    with pytest.raises(NotFoundError):  # nor can one apply for someone outside one's subtree
        _apply(world, leader_a, target)


def test_iam_6_monthly_list_then_admin_disables_after_confirmation(world: World) -> None:
    fixed = clock.FixedClock(T0)
    clock.set_clock(fixed)
    idle_one = world.staff(Post.CASHIER, "stationA")  # never signed in since creation
    busy = world.staff(Post.CASHIER, "stationA")
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    fixed.advance(timedelta(days=31))
    with world.platform.uow(world.system()) as uow:
        for s in (busy, admin):
            uow.session.get_one(StaffAccount, s.id).last_login_at = clock.now()
        uow.audit("test.logins", object_type="staff_account")
        uow.commit()
    token = world.token(idle_one)
    summary = governance_jobs.idle_listing(world.platform, Actor.system("governance.idle"))
    assert summary == {"month": "2026-12", "listed": 1}
    # Rerunning in the same month lists nobody twice.
    assert governance_jobs.idle_listing(world.platform, Actor.system("g"))["listed"] == 0
    [row] = idle.list_reviews(world.platform.uow(world.actor(admin), readonly=True))
    assert row.account_id == idle_one.id
    with world.platform.uow(world.system(), readonly=True) as uow:  # listing alone disables nothing
        assert uow.session.get_one(StaffAccount, idle_one.id).status == AccountStatus.ACTIVE
    idle.do_decide(world.platform.uow(world.actor(admin)), row.review_id, disable=True)
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.get_one(StaffAccount, idle_one.id).status == AccountStatus.DISABLED
    with pytest.raises(Exception, match=r"revoked|not active"):
        authn.resolve(world.platform.uow(Actor.system("t"), readonly=True), token, "api")
    assert idle.list_reviews(world.platform.uow(world.actor(admin), readonly=True)) == []
    [decided] = idle.list_reviews(
        world.platform.uow(world.actor(admin), readonly=True), ReviewStatus.DISABLED
    )
    assert decided.account_id == idle_one.id
