"""AUD-1 / AUD-2: every change is audited in its transaction; the chain reveals tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from safegrid.audit_cli import app as cli
from safegrid.customers.models import Customer
from safegrid.platform.uow import UnauditedChangeError
from safegrid.security import audit
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.world import World


def test_aud_1_change_without_audit_is_refused(world: World) -> None:
    cid = world.customer("stationA")
    with world.platform.uow(world.system()) as uow:
        c = uow.session.scalars(select(Customer).where(Customer.id == cid)).one()
        c.name = "改名不留痕"
        with pytest.raises(UnauditedChangeError):
            uow.commit()
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert (
            uow.session.scalars(select(Customer.name).where(Customer.id == cid)).one()
            != "改名不留痕"
        )


def test_aud_1_entry_has_actor_object_and_masked_before_after(world: World) -> None:
    cid = world.customer("stationA")
    with world.platform.uow(world.system(), readonly=True) as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "customer.register")
        ).one()
    assert entry.object_id == str(cid)
    assert entry.actor_name == "system:tests"
    assert entry.after is not None
    assert "*" in entry.after["id_number"]
    assert "***" in entry.after["address"]
    assert "****" in entry.after["mobile"]


def test_aud_2_chain_verifies_then_detects_a_direct_edit(world: World) -> None:
    for _ in range(3):
        world.customer("stationA")
    runner = CliRunner()
    ok = runner.invoke(cli, ["verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    with world.platform.engine.begin() as conn:
        total = conn.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one()
        target = total - 1
        conn.execute(
            text("UPDATE audit_entries SET actor_name = 'someone-else' WHERE seq = :s"),
            {"s": target},
        )
    broken = runner.invoke(cli, ["verify"])
    assert broken.exit_code == 1
    assert f"BROKEN at entry {target}" in broken.output


def test_aud_2_deleting_the_last_entries_is_detected(world: World) -> None:
    world.customer("stationA")
    world.customer("stationA")
    with world.platform.engine.begin() as conn:
        last = conn.execute(text("SELECT MAX(seq) FROM audit_entries")).scalar_one()
        conn.execute(text("DELETE FROM audit_entries WHERE seq = :s"), {"s": last})
        result = audit.verify(conn)
    assert not result.ok
    assert result.broken_seq == last


def test_aud_2_deleting_a_middle_entry_is_detected(world: World) -> None:
    for _ in range(3):
        world.customer("stationA")
    with world.platform.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
        result = audit.verify(conn)
    assert not result.ok
    assert result.broken_seq == 3


def test_aud_2_verification_is_itself_audited(world: World) -> None:
    from safegrid.security.audit_log import do_verify_chain

    world.customer("stationA")
    auditor = world.actor(world.staff(Post.AUDITOR, "prov"))
    result = do_verify_chain(world.platform.engine, world.platform.uow(auditor))
    assert result.ok
    with world.platform.uow(world.system(), readonly=True) as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "audit.verify")
        ).one()
    assert entry.actor_name == auditor.username
    assert entry.note is not None
    assert entry.note.startswith("intact")


def test_aud_2_editing_the_hashed_body_is_detected(world: World) -> None:
    for _ in range(3):
        world.customer("stationA")
    with world.platform.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_entries SET body = replace(body, '客户', '某人') WHERE seq = 2")
        )
        result = audit.verify(conn)
    assert not result.ok
    assert result.broken_seq == 2
    assert result.reason == "content does not match its hash"


def test_aud_2_editing_an_index_column_is_detected(world: World) -> None:
    for _ in range(3):
        world.customer("stationA")
    with world.platform.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET org_unit_id = NULL WHERE seq = 3"))
        result = audit.verify(conn)
    assert not result.ok
    assert result.broken_seq == 3
