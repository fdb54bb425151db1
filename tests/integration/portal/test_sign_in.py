"""HALL-6: the portal's mobile number + SMS code sign-in. Codes are single-use and stored
hashed; a number that never asked for a code and a wrong code answer alike; the 5th wrong
code locks the number (the sign-in throttle table, not a mechanism of its own)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from safegrid.platform import clock
from safegrid.platform.errors import AuthenticationError
from safegrid.portal import signin
from safegrid.portal.identity import anonymous_actor
from safegrid.portal.models import PortalSignInCode
from safegrid.security.audit import AuditEntry
from safegrid.security.lockout import LoginThrottledError
from tests.fixtures.portal import last_code, new_mobile, sign_in
from tests.fixtures.world import World


def _uow(world: World, ip: str = "10.9.1.1"):  # type: ignore[no-untyped-def]
    return world.platform.uow(anonymous_actor(ip))


def _audits(world: World, action: str) -> int:
    with world.platform.engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
            or 0
        )


def test_hall_6_code_signs_in_once_and_is_stored_hashed(world: World) -> None:
    mobile = new_mobile()
    sent_to = signin.do_request_code(_uow(world), mobile)
    assert sent_to == mobile[:3] + "****" + mobile[-4:]
    code = last_code(world)
    with world.platform.engine.connect() as conn:
        stored = conn.scalar(select(PortalSignInCode.code_hash))
    assert stored and code not in stored and mobile not in stored
    token, me = signin.do_sign_in(_uow(world), mobile, code)
    assert signin.resolve(world.platform.uow(anonymous_actor(None)), token) == me.__class__(
        me.customer_id, me.session_id, sent_to, None
    )
    with pytest.raises(AuthenticationError):  # used once
        signin.do_sign_in(_uow(world), mobile, code)
    # Signing in again later finds the same portal customer, not a second one.
    clock.set_clock(clock.FixedClock(clock.now() + signin.RESEND_AFTER))
    _token, again = sign_in(world, mobile, ip="10.9.1.2")
    assert again.customer_id == me.customer_id


def test_hall_6_unknown_number_and_wrong_code_answer_alike(world: World) -> None:
    asked = new_mobile()
    signin.do_request_code(_uow(world), asked)
    right = last_code(world)
    wrong = "000000" if right != "000000" else "111111"
    answers = []
    for mobile in (asked, new_mobile()):  # the second one never asked for a code
        with pytest.raises(AuthenticationError) as refused:
            signin.do_sign_in(_uow(world), mobile, wrong)
        answers.append((refused.value.status_code, refused.value.message, refused.value.field))
    assert answers[0] == answers[1]
    assert _audits(world, "portal.sign_in_failed") == 2


def test_hall_6_fifth_wrong_code_locks_the_number(world: World) -> None:
    mobile = new_mobile()
    signin.do_request_code(_uow(world), mobile)
    right = last_code(world)
    wrong = "000000" if right != "000000" else "111111"
    for attempt in range(5):
        # Each from another address: the lock is on the number, wherever guesses come from.
        with pytest.raises(AuthenticationError):
            signin.do_sign_in(_uow(world, f"10.9.2.{attempt}"), mobile, wrong)
    with pytest.raises(LoginThrottledError) as locked:
        signin.do_sign_in(_uow(world, "10.9.3.1"), mobile, right)
    assert locked.value.retry_after > 60
    with pytest.raises(LoginThrottledError):  # no fresh code for a locked number either
        signin.do_request_code(_uow(world, "10.9.3.2"), mobile)
    assert _audits(world, "portal.sign_in") == 0
    assert _audits(world, "portal.sign_in_failed") == 5


def test_hall_6_bad_mobile_is_a_clear_422(world: World) -> None:
    from safegrid.platform.errors import ValidationProblem

    for bad in ("12345", "2380000000a", ""):
        with pytest.raises(ValidationProblem) as refused:
            signin.do_request_code(_uow(world), bad)
        assert refused.value.field == "mobile"


def test_hall_6_sessions_end_after_4_hours_and_are_purged_with_their_codes(world: World) -> None:
    from safegrid.platform.cache_purge import do_purge_caches
    from safegrid.portal.models import PortalSession

    token, _me = sign_in(world)
    clock.set_clock(clock.FixedClock(clock.now() + signin.SESSION_FOR))
    with pytest.raises(AuthenticationError):
        signin.resolve(world.platform.uow(anonymous_actor(None)), token)
    result = do_purge_caches(world.platform.uow(world.system()), [])
    assert result.rows["portal_sessions"] == 1 and result.rows["portal_sign_in_codes"] == 1
    with world.platform.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PortalSession)) == 0
