"""IAM-3: a login from a network never seen for the account needs an SMS code as well."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.governance.models import KnownLocation
from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.platform.errors import AuthenticationError
from safegrid.security import authn, passwords
from safegrid.security.actor import Actor
from safegrid.security.login_locations import SecondVerificationRequired, network_of
from safegrid.security.models import AuditEntry, SessionStage, StaffAccount
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import PASSWORD, Staff, World

T0 = datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC)
MOBILE = "13912345678"


@pytest.fixture
def fixed() -> clock.FixedClock:
    c = clock.FixedClock(T0)
    clock.set_clock(c)
    return c


def _with_mobile(world: World, staff: Staff, mobile: str | None = MOBILE) -> Staff:
    with world.platform.uow(world.system()) as uow:
        uow.session.get_one(StaffAccount, staff.id).mobile = mobile
        uow.audit("staff.mobile_set", object_type="staff_account", object_id=staff.id)
        uow.commit()
    return staff


def _login(world: World, staff: Staff, ip: str, kind: str = "api") -> authn.LoginResult:
    s = world.platform.settings
    return authn.login(
        world.platform.uow(Actor.system("authn", "api")),
        staff.username,
        PASSWORD,
        pyotp.TOTP(staff.totp_secret).at(clock.now()),
        kind=kind,  # type: ignore[arg-type]
        ip=ip,
        user_agent="Mozilla/5.0 Chrome/120.0",
        session_hours=8,
        hasher=passwords.hasher(s.argon2_time_cost, s.argon2_memory_kib),
    )


def _sms_code(world: World, staff: Staff) -> str:
    with world.platform.uow(world.system(), readonly=True) as uow:
        body = uow.session.scalars(
            select(Notification.body)
            .where(
                Notification.topic == "auth.login_code", Notification.subject_id == str(staff.id)
            )
            .order_by(Notification.id.desc())
        ).first()
    assert body is not None, "no SMS code was queued"
    found = re.search(r"\b(\d{6})\b", body)
    assert found
    return found.group(1)


def _verify(world: World, challenge: str, code: str, ip: str) -> authn.LoginResult:
    return authn.verify_location(
        world.platform.uow(Actor.system("authn", "api")), challenge, code, ip=ip
    )


def test_iam_3_network_is_the_ipv4_24_or_ipv6_64() -> None:
    assert network_of("10.1.2.3") == network_of("10.1.2.250") == "10.1.2.0/24"
    assert network_of("10.1.3.3") != network_of("10.1.2.3")
    assert network_of("2001:db8:1:2::5") == "2001:db8:1:2::/64"
    assert network_of("testclient") == "host:testclient"


def test_iam_3_first_login_establishes_the_location_then_same_network_passes(
    world: World, fixed: clock.FixedClock
) -> None:
    staff = _with_mobile(world, world.staff(Post.CASHIER, "stationA"))
    assert _login(world, staff, "10.1.2.3").stage == SessionStage.FULL
    fixed.advance(timedelta(seconds=30))
    assert _login(world, staff, "10.1.2.77").stage == SessionStage.FULL  # same /24


def test_iam_3_new_location_needs_the_sms_code_then_is_remembered(
    world: World, fixed: clock.FixedClock
) -> None:
    staff = _with_mobile(world, world.staff(Post.CASHIER, "stationA"))
    _login(world, staff, "10.1.2.3")
    fixed.advance(timedelta(seconds=30))
    with pytest.raises(SecondVerificationRequired) as err:
        _login(world, staff, "192.168.9.9")
    assert err.value.sent_to == "139****5678"
    assert "second verification required" in err.value.message
    result = _verify(world, err.value.challenge_id, _sms_code(world, staff), "192.168.9.9")
    assert result.stage == SessionStage.FULL
    resolved = authn.resolve(
        world.platform.uow(Actor.system("t"), readonly=True), result.token, "api"
    )
    assert resolved.account.id == staff.id
    with world.platform.uow(world.system(), readonly=True) as uow:
        networks = set(
            uow.session.scalars(
                select(KnownLocation.network).where(KnownLocation.account_id == staff.id)
            )
        )
    assert networks == {"10.1.2.0/24", "192.168.9.0/24"}
    fixed.advance(timedelta(seconds=30))
    assert _login(world, staff, "192.168.9.10").stage == SessionStage.FULL  # now known


def test_iam_3_sms_code_expires_after_5_minutes(world: World, fixed: clock.FixedClock) -> None:
    staff = _with_mobile(world, world.staff(Post.CASHIER, "stationA"))
    _login(world, staff, "10.1.2.3")
    fixed.advance(timedelta(seconds=30))
    with pytest.raises(SecondVerificationRequired) as err:
        _login(world, staff, "192.168.9.9")
    code = _sms_code(world, staff)
    fixed.advance(timedelta(minutes=5, seconds=1))
    with pytest.raises(AuthenticationError, match="expired"):
        _verify(world, err.value.challenge_id, code, "192.168.9.9")


def test_iam_3_five_wrong_codes_end_the_challenge(world: World, fixed: clock.FixedClock) -> None:
    staff = _with_mobile(world, world.staff(Post.CASHIER, "stationA"))
    _login(world, staff, "10.1.2.3")
    fixed.advance(timedelta(seconds=30))
    with pytest.raises(SecondVerificationRequired) as err:
        _login(world, staff, "192.168.9.9")
    code = _sms_code(world, staff)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthenticationError, match=f"{left} attempts left"):
            _verify(world, err.value.challenge_id, wrong, "192.168.9.9")
    with pytest.raises(AuthenticationError, match="sign in again"):
        _verify(world, err.value.challenge_id, wrong, "192.168.9.9")
    with pytest.raises(AuthenticationError, match="sign in again"):  # even the right code now
        _verify(world, err.value.challenge_id, code, "192.168.9.9")


def test_iam_3_code_only_finishes_the_login_from_the_same_network(
    world: World, fixed: clock.FixedClock
) -> None:
    staff = _with_mobile(world, world.staff(Post.CASHIER, "stationA"))
    _login(world, staff, "10.1.2.3")
    fixed.advance(timedelta(seconds=30))
    with pytest.raises(SecondVerificationRequired) as err:
        _login(world, staff, "192.168.9.9")
    with pytest.raises(AuthenticationError, match="sign in again"):
        _verify(world, err.value.challenge_id, _sms_code(world, staff), "172.16.0.1")


def test_iam_3_new_location_without_a_mobile_is_refused_clearly(
    world: World, fixed: clock.FixedClock
) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    _login(world, staff, "10.1.2.3")
    fixed.advance(timedelta(seconds=30))
    with pytest.raises(AuthenticationError, match="no mobile number is on record"):
        _login(world, staff, "192.168.9.9")


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def test_iam_3_api_token_answers_second_verification_required_with_a_challenge(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    staff = _with_mobile(world, world.staff(Post.HALL_AGENT, "countyA"))
    _login(world, staff, "10.9.9.9")  # the account's first location is elsewhere
    fixed.advance(timedelta(seconds=30))
    resp = client.post(
        "/api/auth/token",
        json={
            "username": staff.username,
            "password": PASSWORD,
            "otp": pyotp.TOTP(staff.totp_secret).at(clock.now()),
        },
    )
    assert resp.status_code == 401, resp.text
    body = resp.json()
    assert body["code"] == "second_verification_required"
    assert body["sent_to"] == "139****5678" and body["expires_in"] == 300
    bad = client.post(
        "/api/auth/token/verify", json={"challenge_id": body["challenge_id"], "code": "12345x"}
    )
    assert bad.status_code == 422
    ok = client.post(
        "/api/auth/token/verify",
        json={"challenge_id": body["challenge_id"], "code": _sms_code(world, staff)},
    )
    assert ok.status_code == 200, ok.text
    headers = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert client.get("/api/auth/me", headers=headers).json()["username"] == staff.username


def test_iam_3_console_login_shows_the_sms_step(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    staff = _with_mobile(world, world.staff(Post.HALL_AGENT, "countyA"))
    _login(world, staff, "10.9.9.9")
    fixed.advance(timedelta(seconds=30))
    page = client.post(
        "/login",
        data={
            "username": staff.username,
            "password": PASSWORD,
            "otp": pyotp.TOTP(staff.totp_secret).at(clock.now()),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert page.status_code == 200
    assert 'action="/login/verify"' in page.text
    challenge = re.search(r'name="challenge_id" value="([^"]+)"', page.text)
    assert challenge
    done = client.post(
        "/login/verify",
        data={"challenge_id": challenge.group(1), "code": _sms_code(world, staff), "next": "/"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "sg_session" in done.cookies


def test_iam_3_admin_records_the_mobile_and_the_audit_keeps_it_masked(
    world: World, client: TestClient
) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    staff = world.staff(Post.CASHIER, "stationA")
    headers = {"Authorization": f"Bearer {world.token(admin)}"}
    bad = client.put(f"/api/staff/{staff.id}/mobile", headers=headers, json={"mobile": "123"})
    assert bad.status_code == 422
    ok = client.put(f"/api/staff/{staff.id}/mobile", headers=headers, json={"mobile": MOBILE})
    assert ok.status_code == 204
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.get_one(StaffAccount, staff.id).mobile == MOBILE
        body = uow.session.scalars(
            select(AuditEntry.body).where(AuditEntry.action == "staff.mobile_changed")
        ).one()
    assert MOBILE not in body and "139****5678" in body


def test_iam_3_the_outbox_never_shows_the_login_code_to_staff(
    world: World, fixed: clock.FixedClock
) -> None:
    from safegrid.notifications.services import list_notifications
    from safegrid.platform.paging import PageQuery

    staff = _with_mobile(world, world.staff(Post.CASHIER, "stationA"))
    _login(world, staff, "10.1.2.3")
    fixed.advance(timedelta(seconds=30))
    with pytest.raises(SecondVerificationRequired):
        _login(world, staff, "192.168.9.9")
    code = _sms_code(world, staff)  # queued for the gateway in full
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    page = list_notifications(
        world.platform.uow(world.actor(head), readonly=True),
        None,
        "auth.login_code",
        PageQuery(page=1, size=20),
    )
    [shown] = page.items
    assert code not in shown.body and "******" in shown.body
