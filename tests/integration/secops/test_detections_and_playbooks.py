"""OPS-1 on the live logs and OPS-2 playbooks: an export in the log becomes a detection
once; playbooks freeze, revoke, require step-up, open a case and notify, each audited, with
a dry run; the last system administrator is never frozen; an unfreeze needs a second
person; a detection freezes the account through the outbox by itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from safegrid.datause.models import ExportRecord
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import PermissionDeniedError
from safegrid.relay.relay import drain
from safegrid.secops import playbooks as pb
from safegrid.secops.detections import do_record_findings, do_run_detection
from safegrid.secops.detector import Finding, Scenario
from safegrid.secops.models import Detection, RunStatus
from safegrid.secops.step_up import do_step_up
from safegrid.secops.unfreeze import do_decide_unfreeze, do_request_unfreeze
from safegrid.security.models import (
    AccountStatus,
    AuditEntry,
    AuthSession,
    SessionStage,
    StaffAccount,
)
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World


def _status(w: World, account_id: int) -> AccountStatus:
    with w.platform.engine.connect() as conn:
        return AccountStatus(
            conn.scalar(select(StaffAccount.status).where(StaffAccount.id == account_id))
        )


def _actions(w: World, action: str) -> int:
    with w.platform.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).where(AuditEntry.action == action)) or 0)


def _req(account_id: int, book: str = "contain_insider", *, dry_run: bool = False) -> pb.RunRequest:
    return pb.RunRequest(book, account_id, "夜间导出 / night export", dry_run=dry_run)


@pytest.fixture
def night() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(datetime(2026, 12, 7, 3, 0, tzinfo=BUSINESS_TZ))
    clock.set_clock(fixed)
    yield fixed
    clock.set_clock(clock.SystemClock())


def test_ops_1_a_night_export_in_the_log_is_recorded_once(
    world: World, night: clock.FixedClock
) -> None:
    manager = world.staff(Post.HALL_MANAGER, "stationA")
    at = clock.now() - timedelta(minutes=46)  # 02:14 Beijing
    with world.platform.engine.begin() as conn:
        conn.execute(
            insert(ExportRecord).values(
                operator_id=manager.id, operator_name=manager.username, at=at,
                dataset="customers", format="csv", unmasked_fields=[], row_count=4812,
                filename="x.csv", org_unit_id=world.units["stationA"],
            )
        )  # fmt: skip
    run = do_run_detection(world.platform.uow(world.system()))
    with world.platform.uow(world.system(), readonly=True) as uow:
        found = uow.session.scalars(select(Detection)).all()
    assert run.recorded == len(found) == 1
    assert found[0].account_id == manager.id
    assert found[0].scenario == Scenario.NIGHT_EXPORT
    assert "02:14" in found[0].explanation and "4,812" in found[0].explanation
    again = do_run_detection(world.platform.uow(world.system()))
    assert again.recorded == 0 and again.findings == run.findings


def test_ops_2_dry_run_then_playbook_freezes_revokes_opens_a_case_and_notifies(
    books: World,
) -> None:
    w = books
    dso = w.staff(Post.DATA_SECURITY_OFFICER, "countyA")
    cashier = w.staff(Post.CASHIER, "stationA")
    token = w.token(cashier)
    dry = pb.do_run_playbook(w.platform.uow(w.actor(dso)), _req(cashier.id, dry_run=True))
    assert dry.status == RunStatus.DRY_RUN
    assert dry.outcomes[0] == {"step": "freeze_account", "would_freeze": True, "sessions": 1}
    assert _status(w, cashier.id) == AccountStatus.ACTIVE
    result = pb.do_run_playbook(w.platform.uow(w.actor(dso)), _req(cashier.id))
    assert _status(w, cashier.id) == AccountStatus.FROZEN
    steps = {o["step"]: o for o in result.outcomes}
    assert steps["freeze_account"]["sessions_revoked"] == 1
    assert steps["open_case"]["case"].startswith("SC")
    assert dso.username in steps["notify_dso"]["notified"]
    client = TestClient(app_for(w.platform))
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert _actions(w, "secops.playbook_dry_run") == 1
    assert _actions(w, "secops.playbook_run") == 1


def test_ops_2_the_last_system_administrator_is_never_frozen(books: World) -> None:
    w = books
    dso = w.staff(Post.DATA_SECURITY_OFFICER, "countyA")
    admin = w.staff(Post.SYSTEM_ADMIN, "countyA")
    with pytest.raises(pb.LastAdministratorError, match="last active system administrator"):
        pb.do_run_playbook(w.platform.uow(w.actor(dso)), _req(admin.id))
    assert _status(w, admin.id) == AccountStatus.ACTIVE
    assert _actions(w, "secops.playbook_refused") == 1
    assert _actions(w, "secops.playbook_run") == 0
    second = w.staff(Post.SYSTEM_ADMIN, "countyA")
    pb.do_run_playbook(w.platform.uow(w.actor(dso)), _req(admin.id))
    assert _status(w, admin.id) == AccountStatus.FROZEN
    with pytest.raises(pb.LastAdministratorError):
        pb.do_run_playbook(w.platform.uow(w.actor(dso)), _req(second.id))


def test_ops_2_unfreeze_needs_a_second_person(books: World) -> None:
    w = books
    dso = w.staff(Post.DATA_SECURITY_OFFICER, "countyA")
    admin = w.staff(Post.SYSTEM_ADMIN, "countyA")
    cashier = w.staff(Post.CASHIER, "stationA")
    run = pb.do_run_playbook(w.platform.uow(w.actor(dso)), _req(cashier.id))
    request = do_request_unfreeze(w.platform.uow(w.actor(admin)), run.run_id, "误报 / false alarm")
    with pytest.raises(PermissionDeniedError):
        do_decide_unfreeze(w.platform.uow(w.actor(admin)), request, approve=True)
    assert _status(w, cashier.id) == AccountStatus.FROZEN
    other = w.staff(Post.SYSTEM_ADMIN, "countyA")
    do_decide_unfreeze(w.platform.uow(w.actor(other)), request, approve=True)
    assert _status(w, cashier.id) == AccountStatus.ACTIVE
    assert _actions(w, "secops.unfreeze_approved") == 1


def test_ops_2_step_up_blocks_the_next_action_until_the_code_is_entered(books: World) -> None:
    w = books
    dso = w.staff(Post.DATA_SECURITY_OFFICER, "countyA")
    cashier = w.staff(Post.CASHIER, "stationA")
    token = w.token(cashier)
    pb.do_run_playbook(w.platform.uow(w.actor(dso)), _req(cashier.id, "verify_again"))
    client = TestClient(app_for(w.platform))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/customers", headers=headers).status_code == 403
    with w.platform.engine.connect() as conn:
        sid = conn.scalar(select(AuthSession.id).where(AuthSession.account_id == cashier.id))
        stage = conn.scalar(select(AuthSession.stage).where(AuthSession.id == sid))
    assert stage == SessionStage.STEP_UP.value
    actor = w.actor(cashier).__class__(**{**w.actor(cashier).__dict__, "session_id": sid})
    do_step_up(w.platform.uow(actor), pyotp.TOTP(cashier.totp_secret).now())
    assert client.get("/api/customers", headers=headers).status_code == 200


def test_ops_2_a_detection_freezes_the_account_through_the_outbox(books: World) -> None:
    w = books
    cashier = w.staff(Post.CASHIER, "stationA")
    finding = Finding(cashier.id, Scenario.NIGHT_EXPORT, 6.0, "夜间导出 / night export", {})
    window_end = clock.now()
    do_record_findings(w.platform.uow(w.system()), [finding], window_end)
    assert _status(w, cashier.id) == AccountStatus.ACTIVE  # nothing runs inside the service
    drain(w.platform, budget_seconds=5)
    assert _status(w, cashier.id) == AccountStatus.FROZEN
    # A second delivery of the same detection does not run the playbook twice.
    do_record_findings(w.platform.uow(w.system()), [finding], window_end)
    drain(w.platform, budget_seconds=5)
    assert _actions(w, "secops.playbook_run") == 1
