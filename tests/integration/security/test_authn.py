"""IAM-2 / IAM-3: login with password and TOTP, lockout, sessions, password changes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from safegrid.platform import clock
from safegrid.platform.errors import AccountLockedError, AuthenticationError, ValidationProblem
from safegrid.security import accounts, authn, passwords
from safegrid.security.actor import Actor
from safegrid.security.models import SessionStage
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


def _login(
    world: World, staff: Staff, password: str = PASSWORD, otp: str | None = None
) -> authn.LoginResult:
    code = otp if otp is not None else pyotp.TOTP(staff.totp_secret).at(clock.now())
    return authn.login(
        world.platform.uow(Actor.system("authn", "api")),
        staff.username,
        password,
        code,
        kind="api",
        ip="10.1.2.3",
        user_agent="pytest",
        session_hours=8,
        hasher=_hasher(world),
    )


def test_iam_3_password_and_totp_give_a_full_session(world: World, fixed: clock.FixedClock) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    result = _login(world, staff)
    assert result.stage == SessionStage.FULL
    resolved = authn.resolve(
        world.platform.uow(Actor.system("t"), readonly=True), result.token, "api"
    )
    assert resolved.account.id == staff.id


def test_iam_3_wrong_code_is_refused_with_a_generic_message(
    world: World, fixed: clock.FixedClock
) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    with pytest.raises(AuthenticationError) as err:
        _login(world, staff, otp="000000")
    assert "wrong username, password or one-time code" in err.value.message


def test_iam_3_a_code_cannot_be_replayed(world: World, fixed: clock.FixedClock) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    code = pyotp.TOTP(staff.totp_secret).at(T0)
    _login(world, staff, otp=code)
    with pytest.raises(AuthenticationError):
        _login(world, staff, otp=code)
    fixed.advance(timedelta(seconds=30))
    _login(world, staff)  # the next step's code works


def test_iam_3_five_failures_lock_for_30_minutes(world: World, fixed: clock.FixedClock) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    for _ in range(5):
        # Past the username's backoff (ADR 0022), so each attempt reaches the password.
        fixed.advance(timedelta(seconds=10))
        with pytest.raises(AuthenticationError):
            _login(world, staff, password="Wrong@Pass123")
    fixed.advance(timedelta(seconds=10))
    with pytest.raises(AccountLockedError):
        _login(world, staff)  # even the right password is refused while locked
    fixed.advance(timedelta(minutes=29))
    with pytest.raises(AccountLockedError):
        _login(world, staff)
    fixed.advance(timedelta(minutes=1, seconds=1))
    assert _login(world, staff).stage == SessionStage.FULL


def test_iam_2_first_login_must_change_password_then_enrol(
    world: World, fixed: clock.FixedClock
) -> None:
    staff = world.staff(Post.CASHIER, "stationA", must_change=True, enrolled=False)
    result = _login(world, staff, otp="")
    assert result.stage == SessionStage.CHANGE_PASSWORD
    actor = world.actor(staff)
    actor = Actor(**{**actor.__dict__, "session_id": result.session_id})
    with pytest.raises(ValidationProblem) as err:
        accounts.do_change_password(
            world.platform.uow(actor), PASSWORD, "weak", hasher=_hasher(world)
        )
    assert err.value.field == "new_password"
    stage = accounts.do_change_password(
        world.platform.uow(actor), PASSWORD, "Better@Pass2026", hasher=_hasher(world)
    )
    assert stage == SessionStage.ENROL_TOTP
    accounts.do_enrol_totp(world.platform.uow(actor), pyotp.TOTP(staff.totp_secret).at(T0))
    resolved = authn.resolve(
        world.platform.uow(Actor.system("t"), readonly=True), result.token, "api"
    )
    assert resolved.stage == SessionStage.FULL


def test_iam_2_last_five_passwords_not_reused(world: World, fixed: clock.FixedClock) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    actor = world.actor(staff)
    history = [PASSWORD] + [f"Rotate@Pass{i}x" for i in range(1, 6)]
    for old, new in itertools.pairwise(history):
        accounts.do_change_password(world.platform.uow(actor), old, new, hasher=_hasher(world))
    current = history[-1]
    for reused in history[-5:]:
        with pytest.raises(ValidationProblem, match="last 5"):
            accounts.do_change_password(
                world.platform.uow(actor), current, reused, hasher=_hasher(world)
            )
    # The sixth-oldest may come back.
    accounts.do_change_password(
        world.platform.uow(actor), current, history[0], hasher=_hasher(world)
    )


def test_iam_2_expired_password_forces_change(world: World, fixed: clock.FixedClock) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    fixed.advance(timedelta(days=91))
    assert _login(world, staff).stage == SessionStage.CHANGE_PASSWORD


def test_iam_3_logout_revokes_the_session(world: World, fixed: clock.FixedClock) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    result = _login(world, staff)
    actor = Actor(**{**world.actor(staff).__dict__, "session_id": result.session_id})
    authn.logout(world.platform.uow(actor), result.session_id)
    with pytest.raises(AuthenticationError, match="revoked"):
        authn.resolve(world.platform.uow(Actor.system("t"), readonly=True), result.token, "api")


def test_iam_3_unknown_user_is_audited_and_refused(world: World) -> None:
    with pytest.raises(AuthenticationError):
        authn.login(
            world.platform.uow(Actor.system("authn", "api")),
            "ghost",
            "x",
            "",
            kind="api",
            ip=None,
            user_agent=None,
            session_hours=1,
            hasher=_hasher(world),
        )
