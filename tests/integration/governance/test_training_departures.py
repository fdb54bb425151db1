"""IAM-8 training gate before activation; IAM-5 departure freeze and the 4-hour report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyotp
import pytest
from sqlalchemy import select

from safegrid.governance import departures, training
from safegrid.governance import jobs as governance_jobs
from safegrid.platform import clock
from safegrid.platform.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.security import accounts, authn, passwords
from safegrid.security.actor import Actor
from safegrid.security.models import AccountStatus, AuthSession, StaffAccount
from safegrid.security.policy import Post
from tests.fixtures.world import PASSWORD, Staff, World

T0 = datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC)


@pytest.fixture
def fixed() -> clock.FixedClock:
    c = clock.FixedClock(T0)
    clock.set_clock(c)
    return c


def _hasher(world: World) -> passwords.PasswordHasher:
    s = world.platform.settings
    return passwords.hasher(s.argon2_time_cost, s.argon2_memory_kib)


def _new_account(world: World, admin: Staff) -> int:
    return accounts.do_create_staff(
        world.platform.uow(world.actor(admin)),
        accounts.NewStaff("new.cashier", "王新", Post.CASHIER, world.units["stationA"], PASSWORD),
        hasher=_hasher(world),
    )


def _status(world: World, account_id: int) -> AccountStatus:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return uow.session.get_one(StaffAccount, account_id).status


def _login(world: World, username: str, otp: str = "") -> authn.LoginResult:
    return authn.login(
        world.platform.uow(Actor.system("authn", "api")),
        username,
        PASSWORD,
        otp,
        kind="api",
        ip="10.1.2.3",
        user_agent="pytest",
        session_hours=8,
        hasher=_hasher(world),
    )


def test_iam_8_new_account_is_pending_and_cannot_sign_in(world: World) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    account_id = _new_account(world, admin)
    assert _status(world, account_id) == AccountStatus.PENDING_ACTIVATION
    with pytest.raises(AuthenticationError, match="not activated yet"):
        _login(world, "new.cashier")


def test_iam_8_activation_refused_until_16_hours_exam_and_commitment(world: World) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    account_id = _new_account(world, admin)
    uow = lambda: world.platform.uow(world.actor(admin))  # noqa: E731
    training.do_record_training(uow(), account_id, training.TrainingUpdate(Decimal(8)))
    with pytest.raises(ValidationProblem) as err:
        training.do_activate(uow(), account_id)
    assert err.value.field == "training"
    assert "class hours 8" in err.value.message and "exam not passed" in err.value.message
    training.do_record_training(
        uow(), account_id, training.TrainingUpdate(Decimal("7.5"), exam_passed=True)
    )
    with pytest.raises(ValidationProblem, match=r"class hours 15\.5 of 16"):
        training.do_activate(uow(), account_id)
    status = training.do_record_training(
        uow(), account_id, training.TrainingUpdate(Decimal("0.5"), commitment_signed=True)
    )
    assert status.missing == []
    training.do_activate(uow(), account_id)
    assert _status(world, account_id) == AccountStatus.ACTIVE
    result = _login(world, "new.cashier")  # first login: change password, then enrol
    assert result.account_id == account_id


def test_iam_8_no_one_activates_himself_or_outside_his_region(world: World) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    with pytest.raises(PermissionDeniedError):
        training.do_activate(world.platform.uow(world.actor(admin)), admin.id)
    other = world.staff(Post.CASHIER, "stationB")
    with pytest.raises(NotFoundError):
        training.do_record_training(
            world.platform.uow(world.actor(admin)), other.id, training.TrainingUpdate(Decimal(1))
        )


def _session(world: World, staff: Staff) -> str:
    return world.token(staff)


def _live_sessions(world: World, account_id: int) -> int:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return len(
            uow.session.scalars(
                select(AuthSession.id).where(
                    AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None)
                )
            ).all()
        )


def test_iam_5_effective_departure_freezes_and_revokes_in_one_go(
    world: World, fixed: clock.FixedClock
) -> None:
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    leaver = world.staff(Post.CASHIER, "stationA")
    token = _session(world, leaver)
    _session(world, leaver)
    departures.do_record_departure(
        world.platform.uow(world.actor(head)),
        departures.NewDeparture(leaver.id, T0 - timedelta(minutes=10), "合同到期离职"),
    )
    assert _status(world, leaver.id) == AccountStatus.FROZEN
    assert _live_sessions(world, leaver.id) == 0
    with pytest.raises(AuthenticationError):
        authn.resolve(world.platform.uow(Actor.system("t"), readonly=True), token, "api")
    with pytest.raises(AuthenticationError, match="frozen"):
        _login(world, leaver.username, pyotp.TOTP(leaver.totp_secret).at(T0))
    [row] = departures.compliance_report(world.platform.uow(world.actor(head), readonly=True))
    assert row.frozen_at == T0 and row.within_limit is True and row.late is False


def test_iam_5_future_departure_is_frozen_by_the_job_and_reported(
    world: World, fixed: clock.FixedClock
) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    leaver = world.staff(Post.CASHIER, "stationA")
    _session(world, leaver)
    departures.do_record_departure(
        world.platform.uow(world.actor(admin)),
        departures.NewDeparture(leaver.id, T0 + timedelta(hours=2), "调离"),
    )
    assert _status(world, leaver.id) == AccountStatus.ACTIVE  # not yet effective
    [pending] = departures.compliance_report(world.platform.uow(world.actor(admin), readonly=True))
    assert pending.within_limit is None and not pending.late
    fixed.advance(timedelta(hours=2, minutes=5))
    summary = governance_jobs.departure_freeze(
        world.platform, Actor.system("governance.departure_freeze")
    )
    assert summary == {"frozen": 1, "sessions_revoked": 1}
    assert _status(world, leaver.id) == AccountStatus.FROZEN
    assert _live_sessions(world, leaver.id) == 0
    [done] = departures.compliance_report(world.platform.uow(world.actor(admin), readonly=True))
    assert done.delay == timedelta(minutes=5) and done.within_limit is True


def test_iam_5_freeze_more_than_4_hours_late_is_flagged(
    world: World, fixed: clock.FixedClock
) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    on_time = world.staff(Post.CASHIER, "stationA")
    late = world.staff(Post.CASHIER, "stationA")
    overdue = world.staff(Post.CASHIER, "stationA")
    uow = lambda: world.platform.uow(world.actor(admin))  # noqa: E731
    # HR told us five hours after the person left: frozen at once, but late.
    departures.do_record_departure(
        uow(), departures.NewDeparture(late.id, T0 - timedelta(hours=5), "离职")
    )
    departures.do_record_departure(
        uow(), departures.NewDeparture(on_time.id, T0 - timedelta(hours=1), "离职")
    )
    departures.do_record_departure(
        uow(), departures.NewDeparture(overdue.id, T0 + timedelta(minutes=1), "离职")
    )
    fixed.advance(timedelta(hours=4, minutes=2))  # the job never ran: overdue is late too
    report = departures.compliance_report(world.platform.uow(world.actor(admin), readonly=True))
    flags = {r.account_id: r.late for r in report}
    assert flags == {late.id: True, on_time.id: False, overdue.id: True}
    only_late = departures.compliance_report(
        world.platform.uow(world.actor(admin), readonly=True), late_only=True
    )
    assert {r.account_id for r in only_late} == {late.id, overdue.id}


def test_iam_5_departure_outside_region_or_own_is_refused(world: World) -> None:
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    elsewhere = world.staff(Post.CASHIER, "stationB")
    with pytest.raises(NotFoundError):
        departures.do_record_departure(
            world.platform.uow(world.actor(head)),
            departures.NewDeparture(elsewhere.id, clock.now(), "离职"),
        )
    with pytest.raises(PermissionDeniedError):
        departures.do_record_departure(
            world.platform.uow(world.actor(head)),
            departures.NewDeparture(head.id, clock.now(), "离职"),
        )
