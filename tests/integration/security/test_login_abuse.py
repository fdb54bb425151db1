"""IAM-3 / OPS-8 (issue 12, defect 3): failed sign-ins can neither enumerate usernames nor
lock the staff out in bulk. Unknown, wrong and locked answer alike (the audit log keeps the
truth); one address and one username are slowed before the hard lock; a spray from one
address raises an alert; IAM-3's 5-failure lock still holds for a targeted account and ends
the sessions it had; guessing the current password on the API counts as failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from safegrid.bootstrap import Platform
from safegrid.governance import departures
from safegrid.platform import clock
from safegrid.security import passwords
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import PASSWORD, Staff, World

T0 = datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC)
WRONG = "Wrong@Pass1234"


@pytest.fixture
def fixed() -> clock.FixedClock:
    c = clock.FixedClock(T0)
    clock.set_clock(c)
    return c


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _token(client: TestClient, username: str, password: str, otp: str = "123456") -> object:
    return client.post(
        "/api/auth/token", json={"username": username, "password": password, "otp": otp}
    )


def _lock(client: TestClient, fixed: clock.FixedClock, staff: Staff) -> None:
    """A targeted account: five wrong passwords, each past the username's backoff."""
    for _ in range(5):
        fixed.advance(timedelta(seconds=20))
        assert _token(client, staff.username, WRONG).status_code == 401  # type: ignore[attr-defined]
    fixed.advance(timedelta(seconds=20))


def _code(staff: Staff) -> str:
    # The server's clock is the fixed test clock, not the wall clock Staff.code() reads.
    return pyotp.TOTP(staff.totp_secret).at(clock.now())


def _notes(world: World, action: str) -> list[str]:
    with world.platform.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT body FROM audit_entries WHERE action = :a ORDER BY seq"), {"a": action}
        ).all()
    return [str(r[0]) for r in rows]


def test_iam_3_unknown_wrong_and_locked_answer_alike(
    world: World, client: TestClient, fixed: clock.FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = world.staff(Post.CASHIER, "stationA")
    locked = world.staff(Post.CASHIER, "stationA")
    _lock(client, fixed, locked)
    hashes: list[str] = []
    real_verify = passwords.verify

    def counting(hasher: passwords.PasswordHasher, stored: str, given: str) -> bool:
        hashes.append(stored)
        return real_verify(hasher, stored, given)

    monkeypatch.setattr(passwords, "verify", counting)
    answers = []
    work = []
    for username, password in (
        ("nobody.here", WRONG),  # unknown
        (known.username, WRONG),  # wrong password
        (locked.username, PASSWORD),  # locked, even with the right password
    ):
        fixed.advance(timedelta(seconds=20))
        hashes.clear()
        resp = _token(client, username, password, _code(locked))
        answers.append((resp.status_code, resp.json(), resp.headers.get("www-authenticate")))
        work.append(len(hashes))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 401
    # The same password-hash work on every path: the answer's timing does not tell either.
    assert work == [1, 1, 1]
    # The console's login page answers alike too.
    pages = []
    for username in ("nobody.here", known.username, locked.username):
        fixed.advance(timedelta(seconds=20))
        resp = client.post("/login", data={"username": username, "password": WRONG, "otp": "1"})
        pages.append((resp.status_code, resp.text.replace(username, "NAME")))
    assert pages[0] == pages[1] == pages[2] and pages[0][0] == 401
    # The audit log has the truth.
    notes = _notes(world, "auth.login_failed")
    assert any("unknown user 'nobody.here'" in n for n in notes)
    assert any("locked until" in n for n in notes)
    assert any("failure 1 of 5" in n for n in notes)


def test_iam_3_targeted_account_still_locks_and_its_sessions_end(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    api = world.token(staff, "api")
    console = world.token(staff, "console")
    headers = {"Authorization": f"Bearer {api}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    _lock(client, fixed, staff)
    assert _token(client, staff.username, PASSWORD, _code(staff)).status_code == 401
    # Issued before the lock: both stop working.
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    client.cookies.set("sg_session", console)
    assert client.get("/", follow_redirects=False).status_code in (303, 401)
    client.cookies.clear()
    assert any(
        "locked for 30 minutes; 2 sessions ended" in n for n in _notes(world, "auth.login_failed")
    )
    fixed.advance(timedelta(minutes=31))
    assert _token(client, staff.username, PASSWORD, _code(staff)).status_code == 200


def test_iam_3_a_frozen_account_s_tokens_stop_working(world: World, client: TestClient) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    headers = {"Authorization": f"Bearer {world.token(staff, 'api')}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    with world.platform.uow(world.system()) as uow:
        departures.freeze_accounts(uow, [staff.id], clock.now())
        uow.audit("staff.freeze", object_type="staff_account", object_id=staff.id)
        uow.commit()
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_iam_3_username_backoff_before_the_lock(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    for name in (staff.username, "nobody.here"):  # the same for a name that does not exist
        assert _token(client, name, WRONG).status_code == 401
        assert _token(client, name, WRONG).status_code == 401
        assert _token(client, name, WRONG).status_code == 401  # third: now wait 2 s
        slowed = _token(client, name, PASSWORD, _code(staff))
        assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "2"  # type: ignore[attr-defined]
    fixed.advance(timedelta(seconds=2))
    assert _token(client, staff.username, PASSWORD, _code(staff)).status_code == 200


def test_iam_3_password_change_guesses_count_as_failures(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    staff = world.staff(Post.CASHIER, "stationA")
    headers = {"Authorization": f"Bearer {world.token(staff, 'api')}"}
    for attempt in range(5):
        fixed.advance(timedelta(seconds=20))
        resp = client.post(
            "/api/auth/password",
            json={"current_password": f"Guess@{attempt}Pass99", "new_password": "Better@Pass2026"},
            headers=headers,
        )
        assert resp.status_code == 422
    # The fifth wrong guess locked the account and ended the session that guessed.
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    fixed.advance(timedelta(seconds=20))
    assert _token(client, staff.username, PASSWORD, _code(staff)).status_code == 401
    assert len(_notes(world, "auth.password_change_failed")) == 5


def test_ops_8_spray_from_one_address_is_slowed_and_alerted_not_a_mass_lock(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    staff = [world.staff(Post.CASHIER, "stationA") for _ in range(12)]
    statuses = []
    for password in ("123456", "Password1!", "SafeGrid@2025"):
        for s in staff:
            statuses.append(_token(client, s.username, password).status_code)
    assert 200 not in statuses
    assert statuses[:10] == [401] * 10  # the first ten failures are free…
    assert statuses.count(429) >= len(statuses) - 12  # …then the address is slowed
    with world.platform.engine.connect() as conn:
        locked = conn.scalar(
            text("SELECT COUNT(*) FROM staff_accounts WHERE locked_until IS NOT NULL")
        )
        alerts = conn.execute(
            text("SELECT object_id FROM alerts WHERE key_field = 'login_spray'")
        ).all()
    assert locked == 0
    assert [a[0] for a in alerts] == ["testclient"]  # one alert for the address
    assert _notes(world, "auth.login_spray")
    # The staff can still sign in from their own PCs.
    own = TestClient(app_for(world.platform), client=("10.9.9.9", 50000))
    fixed.advance(timedelta(seconds=31))
    assert _token(own, staff[0].username, PASSWORD, _code(staff[0])).status_code == 200


def test_iam_3_counters_hold_under_concurrent_failures(world: World) -> None:
    """Several server processes count into one row: 8 callers x 3 failures each, at once,
    leave exactly 24 on the address (an atomic upsert, not read-then-write)."""
    from concurrent.futures import ThreadPoolExecutor

    from safegrid.security import lockout
    from safegrid.security.actor import Actor

    if world.platform.settings.is_sqlite:
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the race is run on PostgreSQL")
    now = clock.now()

    def fail(_: int) -> None:
        for _ in range(3):
            with world.platform.uow(Actor.system("authn", "api")) as uow:
                lockout.count_failure(uow, "ip", "10.66.0.1", now)
                uow.audit("auth.login_failed", object_type="staff_account", note="test")
                uow.commit()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fail, range(8)))
    with world.platform.engine.connect() as conn:
        failures, alerted = conn.execute(
            text(
                "SELECT failures, alerted_at FROM login_throttles "
                "WHERE source = 'ip' AND key = '10.66.0.1'"
            )
        ).one()
        alerts = conn.scalar(text("SELECT COUNT(*) FROM alerts WHERE key_field = 'login_spray'"))
    assert failures == 24 and alerted is not None
    assert alerts == 1  # one alert per address and window, however many callers crossed
