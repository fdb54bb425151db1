"""AUD-4 audit retention (ADR 0007) and the fast verifier (AUD-2): entries past three
years are archived to a signed file and pruned behind an anchor the chain itself records;
younger entries are never deleted; verification continues from the anchor."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text, update

from safegrid.config import Settings
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.security import audit
from safegrid.security.audit_retention import (
    ArchiveError,
    do_archive_and_prune,
    verify_archive,
)
from safegrid.security.models import AuditAnchor, AuditEntry
from tests.fixtures.world import World

SECRET = "test-secret-key-not-for-production-use"


def _seqs(world: World) -> list[int]:
    with world.platform.engine.connect() as conn:
        return [int(s) for (s,) in conn.execute(text("SELECT seq FROM audit_entries ORDER BY seq"))]


def _old_and_young(world: World) -> tuple[int, int]:
    """Entries up to the returned seq are > 3 years old at the prune time; return (last
    old seq, first young seq)."""
    start = clock.now()
    clock.set_clock(clock.FixedClock(start + timedelta(days=1)))
    world.customer("stationA")
    last_old = max(_seqs(world))
    clock.set_clock(clock.FixedClock(start + timedelta(days=3 * 365 + 200)))
    world.customer("stationA")
    world.customer("stationB")
    first_young = last_old + 1
    clock.set_clock(clock.FixedClock(start + timedelta(days=3 * 365 + 300)))
    return last_old, first_young


def _prune(world: World, tmp_path: Path, years: int = 3) -> object:
    return do_archive_and_prune(world.platform.uow(world.system()), tmp_path, years, SECRET)


def test_aud_4_old_entries_archived_and_pruned_younger_kept_chain_verifies(
    world: World, tmp_path: Path
) -> None:
    last_old, first_young = _old_and_young(world)
    young = [s for s in _seqs(world) if s >= first_young]
    result = _prune(world, tmp_path)
    assert result.pruned == last_old  # type: ignore[attr-defined]
    kept = _seqs(world)
    assert kept[: len(young)] == young  # every younger entry is still there
    assert min(kept) == first_young
    with world.platform.engine.connect() as conn:
        verified = audit.verify(conn)
    assert verified.ok, verified
    assert verified.checked == len(kept)
    archive = tmp_path / result.archive  # type: ignore[attr-defined]
    assert verify_archive(archive, SECRET) == (last_old, 1, last_old)
    with world.platform.uow(world.system(), readonly=True) as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "audit.pruned")
        ).one()
        anchor = uow.session.scalars(select(AuditAnchor)).one()
    assert entry.after is not None
    assert (entry.after["anchor_seq"], entry.after["anchor_hash"]) == (anchor.seq, anchor.hash)


def test_aud_4_nothing_younger_than_three_years_is_pruned(world: World, tmp_path: Path) -> None:
    world.customer("stationA")
    before = _seqs(world)
    clock.set_clock(clock.FixedClock(clock.now() + timedelta(days=3 * 365 - 2)))
    result = _prune(world, tmp_path)
    assert result.pruned == 0  # type: ignore[attr-defined]
    assert _seqs(world) == before
    assert list(tmp_path.iterdir()) == []


def test_aud_4_retention_below_three_years_is_refused(world: World, tmp_path: Path) -> None:
    with pytest.raises(ValidationProblem) as err:
        _prune(world, tmp_path, years=2)
    assert err.value.field == "years"
    with pytest.raises(ValidationError):
        Settings(env="dev", audit_retention_years=2)


def test_aud_4_a_broken_segment_is_never_archived_away(world: World, tmp_path: Path) -> None:
    _old_and_young(world)
    with world.platform.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET actor_name = 'x' WHERE seq = 1"))
    with pytest.raises(Exception, match="broken at entry 1"):
        _prune(world, tmp_path)
    assert min(_seqs(world)) == 1


def test_aud_4_tampered_archive_and_forged_anchor_are_detected(
    world: World, tmp_path: Path
) -> None:
    _old_and_young(world)
    result = _prune(world, tmp_path)
    archive = tmp_path / result.archive  # type: ignore[attr-defined]
    archive.write_bytes(archive.read_bytes().replace("客户".encode(), "某人".encode()))
    with pytest.raises(ArchiveError, match="signature"):
        verify_archive(archive, SECRET)
    with world.platform.engine.begin() as conn:
        conn.execute(update(AuditAnchor).values(hash="f" * 64))
        forged = audit.verify(conn)
    assert not forged.ok
    assert forged.reason is not None and "anchor" in forged.reason


def test_aud_2_two_process_verify_names_the_first_broken_entry(world: World) -> None:
    for _ in range(4):
        world.customer("stationA")
    seqs = _seqs(world)
    with world.platform.engine.connect() as conn:
        whole = audit.verify(conn, workers=2)
    assert whole.ok and whole.checked == len(seqs), whole
    upper, lower = seqs[-2], seqs[len(seqs) // 2 - 1]
    with world.platform.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET ip = '6.6.6.6' WHERE seq = :s"), {"s": upper})
    with world.platform.engine.connect() as conn:
        found = audit.verify(conn, workers=2)  # found by the second process
    assert (found.ok, found.broken_seq) == (False, upper)
    with world.platform.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE audit_entries SET body = replace(body, '\"seq\"', '\"seq\" ') WHERE seq = :s"
            ),
            {"s": lower},
        )
    with world.platform.engine.connect() as conn:
        first = audit.verify(conn, workers=2)
    assert (first.ok, first.broken_seq) == (False, lower)
