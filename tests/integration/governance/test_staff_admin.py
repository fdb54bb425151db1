"""IAM-3, IAM-5, IAM-8 from the console (issue 13, item 8): an administrator searches the
staff, opens an account that then waits for its training, resets a colleague's password
(shown once, changed at the next sign-in), unlocks and freezes — each audited, inside his
subtree, never on his own account."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.app import create_app
from safegrid.platform import clock
from safegrid.security import passwords
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import AccountStatus, AuditEntry, AuthSession, StaffAccount
from safegrid.security.policy import Post
from safegrid.security.scope import unscoped
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.world import World


def _account(world: World, account_id: int) -> StaffAccount:
    with world.platform.uow(world.system(), readonly=True) as uow:
        account = uow.session.get_one(StaffAccount, account_id)
        uow.session.expunge(account)
        return account


def test_iam_admin_searches_opens_resets_unlocks_and_freezes(world: World) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    cashier = world.staff(Post.CASHIER, "stationA")
    outsider = world.staff(Post.CASHIER, "stationB")
    cashier_session = world.token(cashier, "console")
    client = TestClient(create_app(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(admin, "console"))
    client.cookies.set(LANG_COOKIE, "zh")
    name = _account(world, cashier.id).real_name

    found = client.get("/staff", params={"q": name}).text
    assert f'href="/staff/{cashier.id}"' in found and f'href="/staff/{admin.id}"' not in found

    opened = client.post(
        "/staff/new",
        data={"username": "new.cashier", "real_name": "王新人", "post": "cashier",
              "org_unit_id": str(world.units["stationA"]), "initial_password": "Start#2026ab"},
        follow_redirects=False,
    )  # fmt: skip
    assert opened.status_code == 303, opened.text
    with world.platform.uow(world.system(), readonly=True) as uow:
        new = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == "new.cashier")
        ).one()
    assert new.status == AccountStatus.PENDING_ACTIVATION and new.must_change_password
    page = client.get(opened.headers["location"]).text
    assert "/governance/training" in page  # the training gate comes next
    weak = client.post("/staff/new", data={"username": "x.y", "real_name": "李四",
                                           "post": "cashier", "initial_password": "short"})  # fmt: skip
    assert weak.status_code == 422

    reset = client.post(f"/staff/{cashier.id}/reset-password")
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    shown = reset.text.split('data-testid="temporary-password"')[1]
    word = shown.split('<p class="mono" style="font-size:1.3rem">')[1].split("<")[0]
    assert passwords.password_problems(word) == []
    after = _account(world, cashier.id)
    assert PasswordHasher().verify(after.password_hash, word) and after.must_change_password
    with world.platform.uow(world.system(), readonly=True) as uow:
        live = uow.session.scalars(
            select(AuthSession).where(
                AuthSession.account_id == cashier.id, AuthSession.revoked_at.is_(None)
            )
        ).all()
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "staff.password_reset"),
            execution_options=unscoped("test reads the audit"),
        ).one()
    assert live == [] and cashier_session  # the reset ended the cashier's sessions
    assert word not in str(entry.after) and entry.actor_name == admin.username

    with world.platform.uow(world.system()) as uow:
        locked = uow.session.get_one(StaffAccount, cashier.id)
        locked.locked_until = clock.now() + timedelta(minutes=30)
        uow.audit("test.lock", object_type="staff_account", object_id=cashier.id)
        uow.commit()
    assert "解锁" in client.get(f"/staff/{cashier.id}").text
    unlocked = client.post(f"/staff/{cashier.id}/unlock", follow_redirects=False)
    assert unlocked.status_code == 303 and _account(world, cashier.id).locked_until is None

    no_reason = client.post(f"/staff/{cashier.id}/freeze", data={"reason": ""})
    assert no_reason.status_code == 422 and _account(world, cashier.id).status == "active"
    frozen = client.post(
        f"/staff/{cashier.id}/freeze", data={"reason": "离岗调查"}, follow_redirects=False
    )
    assert frozen.status_code == 303
    assert _account(world, cashier.id).status == AccountStatus.FROZEN

    assert client.post(f"/staff/{admin.id}/reset-password").status_code == 409  # own account
    assert client.post(f"/staff/{outsider.id}/unlock").status_code == 404  # outside subtree
    assert client.get(f"/staff/{outsider.id}").status_code == 404
