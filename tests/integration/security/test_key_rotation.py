"""Key rotation without downtime, the key ring across processes, the master key (DATA-2)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from safegrid.cli import app
from safegrid.config import Settings
from safegrid.customers.models import Customer
from safegrid.security import key_rotation, key_store, reencryption
from safegrid.security.fields import matches
from safegrid.security.keyring import KeyRing
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.world import World

runner = CliRunner()


def _versions(world: World) -> dict[str, int]:
    counts = key_rotation.version_counts(world.platform.engine)
    return dict(counts["customers.id_number"])


def _id_numbers(world: World) -> dict[int, str | None]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return {
            cid: idn for cid, idn in uow.session.execute(select(Customer.id, Customer.id_number))
        }


def _rotate(world: World) -> tuple[int | None, int]:
    p = world.platform
    master = key_store.master_key(p.settings)
    return key_rotation.do_rotate_key(p.uow(world.system()), p.keyring, master)


def test_data_2_rotation_reencrypts_in_batches_and_audits_once(world: World) -> None:
    ids = [world.customer("stationA") for _ in range(5)]
    before = _id_numbers(world)
    old = world.platform.keyring.active_version
    previous, new = _rotate(world)
    assert previous == old and new == old + 1
    assert _versions(world) == {str(old): 5}  # old values still decrypt until rewritten
    assert _id_numbers(world) == before
    batches: list[int] = []
    result = key_rotation.reencrypt(
        world.platform.engine, world.platform.keyring, batch_size=2, progress=batches.append
    )
    key_rotation.do_record_reencryption(world.platform.uow(world.system()), result)
    assert _versions(world) == {str(new): 5}
    assert _id_numbers(world) == before and set(before) == set(ids)
    assert result.per_table["customers"] == 5 * 3 + 0  # id_number, mobile, address
    assert batches[:3] == [2, 2, 1]
    with world.platform.uow(world.system(), readonly=True) as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("keys.%"))
        ).all()
    assert sorted(actions) == ["keys.reencrypt", "keys.rotate"]


def _all_versions(world: World) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in key_rotation.version_counts(world.platform.engine).values():
        for version, n in counts.items():
            total[version] = total.get(version, 0) + n
    return total


def test_data_2_reencryption_in_worker_processes_rewrites_every_table(
    world: World,
) -> None:
    for _ in range(7):
        world.customer("stationA")
    world.staff(Post.CASHIER, "hallA")  # a TOTP secret in another table
    before = _id_numbers(world)
    _, new = _rotate(world)
    stored = sum(_all_versions(world).values())
    batches: list[int] = []
    result = key_rotation.reencrypt(
        world.platform.engine,
        world.platform.keyring,
        batch_size=2,
        processes=2,
        progress=batches.append,
    )
    assert _all_versions(world) == {str(new): stored}
    assert result.values_rewritten == stored and result.skipped_concurrent == 0
    assert result.per_table["customers"] == 7 * 3
    assert _id_numbers(world) == before
    assert sum(batches) == result.rows_seen and 1 in batches
    # The blind indexes the workers computed still find the customers.
    id_number = next(iter(before.values()))
    assert id_number is not None
    with world.platform.uow(world.system(), readonly=True) as uow:
        found = uow.session.scalars(
            select(Customer.id).where(matches(Customer.id_number, id_number))
        ).all()
    assert [before[cid] for cid in found] == [id_number]


def test_data_2_a_value_written_during_reencryption_is_kept_and_the_rest_rewritten(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = world.customer("stationA")
    id_number = _id_numbers(world)[cid]
    _, new = _rotate(world)
    ring = world.platform.keyring
    real = reencryption.rewrite

    def application_writes_meanwhile(keys: reencryption.Keys, work: Any) -> Any:
        out = real(keys, work)  # the batch has read the row; the server now changes it
        with world.platform.engine.begin() as conn:
            conn.execute(
                text("UPDATE customers SET mobile = :m, mobile_bidx = :i WHERE id = :c"),
                {
                    "m": ring.encrypt("13900000000", "customers.mobile"),
                    "i": ring.blind_index("customers.mobile", "13900000000"),
                    "c": cid,
                },
            )
        return out

    monkeypatch.setattr(reencryption, "rewrite", application_writes_meanwhile)
    result = key_rotation.reencrypt(world.platform.engine, ring)
    assert result.skipped_concurrent == 1
    assert result.per_table["customers"] == 2  # id_number and address
    assert dict(key_rotation.version_counts(world.platform.engine)["customers.mobile"]) == {
        str(new): 1
    }
    with world.platform.uow(world.system(), readonly=True) as uow:
        customer = uow.session.get(Customer, cid)
        assert customer is not None
        assert (customer.mobile, customer.id_number) == ("13900000000", id_number)
        found = uow.session.scalars(
            select(Customer.id).where(matches(Customer.mobile, "13900000000"))
        ).all()
    assert found == [cid]


class _Interrupted(Exception):
    pass


def test_data_2_interrupted_reencryption_keeps_committed_batches_and_resumes(
    world: World,
) -> None:
    # 8 batches: at most 4 are in flight, so the interruption leaves some undone.
    for _ in range(24):
        world.customer("stationA")
    before = _id_numbers(world)
    old = world.platform.keyring.active_version
    _, new = _rotate(world)
    stored = sum(_all_versions(world).values())
    seen: list[int] = []

    def stop_after_two(n: int) -> None:
        seen.append(n)
        if len(seen) == 2:
            raise _Interrupted  # as a Ctrl-C or a killed process would, after a commit

    with pytest.raises(_Interrupted):
        key_rotation.reencrypt(
            world.platform.engine,
            world.platform.keyring,
            batch_size=3,
            processes=2,
            progress=stop_after_two,
        )
    halfway = _all_versions(world)
    assert set(halfway) == {str(old), str(new)}, halfway  # two batches in, the rest not
    assert _id_numbers(world) == before  # both versions decrypt meanwhile
    result = key_rotation.reencrypt(
        world.platform.engine, world.platform.keyring, batch_size=3, processes=2
    )
    assert result.values_rewritten == halfway[str(old)]  # only what was left
    assert _all_versions(world) == {str(new): stored}
    assert _id_numbers(world) == before


def test_data_2_reads_keep_working_while_rotation_runs(world: World) -> None:
    for _ in range(8):
        world.customer("stationA")
    expected = _id_numbers(world)
    _rotate(world)
    errors: list[BaseException] = []
    reads = 0
    done = threading.Event()

    def rotate() -> None:
        try:
            key_rotation.reencrypt(
                world.platform.engine,
                world.platform.keyring,
                batch_size=1,
                progress=lambda _n: done.wait(0.005),
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=rotate)
    worker.start()
    while not done.is_set():
        assert _id_numbers(world) == expected
        reads += 1
    worker.join()
    assert not errors and reads > 1
    assert set(_versions(world)) == {str(world.platform.keyring.active_version)}


def test_data_2_concurrent_rotations_take_turns(world: World) -> None:
    """Versions are numbered under a lock: rotations started together each get their own
    version, one after the other, and exactly one key stays active."""
    first = world.platform.keyring.active_version
    barrier = threading.Barrier(4)
    results: list[tuple[int | None, int]] = []
    errors: list[BaseException] = []

    def rotate() -> None:
        barrier.wait()
        try:
            results.append(_rotate(world))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=rotate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(new for _previous, new in results) == [first + 1, first + 2, first + 3, first + 4]
    assert sorted(previous or 0 for previous, _new in results) == [
        first,
        first + 1,
        first + 2,
        first + 3,
    ]
    keys = key_store.load_keys(world.platform.engine)
    assert [k.version for k in keys if k.active] == [first + 4]


def test_data_2_ring_reloads_once_for_a_version_rotated_elsewhere(world: World) -> None:
    cid = world.customer("stationA")
    p = world.platform
    master = key_store.master_key(p.settings)
    loads = 0

    def counting_load() -> list[key_store.WrappedKey]:
        nonlocal loads
        loads += 1
        return key_store.load_keys(p.engine)

    mine = KeyRing(master, counting_load, refresh_seconds=3600)
    mine.reload()
    loads = 0
    # "Another process" rotates and writes a value under the new version.
    other = key_store.make_ring(p.engine, p.settings)
    with p.engine.begin() as conn:
        key_store.add_version(conn, master)
    token = other.encrypt("330183199001010011", "customers.id_number")
    assert mine.decrypt(token, "customers.id_number") == "330183199001010011"
    assert loads == 1
    p.keyring.reload()
    assert cid


def test_data_2_reencrypt_encrypts_legacy_plaintext_and_fills_blind_indexes(
    world: World,
) -> None:
    cid = world.customer("stationA")
    with world.platform.engine.begin() as conn:  # as a 0002 database left it
        conn.execute(
            text(
                "UPDATE customers SET id_number = '330183199001010011', id_number_bidx = NULL, "
                "mobile = '13800000001', mobile_bidx = NULL WHERE id = :i"
            ),
            {"i": cid},
        )
    assert _versions(world) == {key_rotation.PLAINTEXT: 1}
    result = key_rotation.reencrypt(world.platform.engine, world.platform.keyring)
    assert result.legacy_encrypted == 2 and result.indexes_filled == 2
    assert _versions(world) == {str(world.platform.keyring.active_version): 1}
    with world.platform.engine.connect() as conn:
        raw = conn.execute(text("SELECT id_number FROM customers")).scalar_one()
    assert "330183199001010011" not in raw
    hits = runner.invoke(app, ["customers", "--help"])
    assert hits.exit_code == 0
    from safegrid.customers.services import search_customers
    from safegrid.platform.paging import PageQuery

    page = search_customers(
        world.platform.uow(world.system(), readonly=True),
        "13800000001",
        None,
        None,
        PageQuery(page=1, size=5),
    )
    assert [c.id for c in page.items] == [cid]


def test_data_2_keys_cli_rotate_status_and_permission(world: World) -> None:
    world.customer("stationA")
    admin = world.staff(Post.SYSTEM_ADMIN, "prov")
    clerk = world.staff(Post.HALL_AGENT, "countyA")
    refused = runner.invoke(app, ["keys", "rotate", "--as", clerk.username])
    assert refused.exit_code == 1 and "keys.manage" in refused.output
    done = runner.invoke(app, ["keys", "rotate", "--as", admin.username, "--batch", "2"])
    assert done.exit_code == 0, done.output
    active = world.platform.keyring.active_version
    assert f"key version {active} active" in done.output
    status = runner.invoke(app, ["keys", "status"])
    assert status.exit_code == 0, status.output
    assert f"v{active} (active)" in status.output and "customers.id_number" in status.output


def test_data_2_worker_processes_refuse_a_database_they_cannot_open(world: World) -> None:
    memory = create_engine("sqlite://")
    with pytest.raises(ValueError, match="in-memory"):
        key_rotation.reencrypt(memory, world.platform.keyring, processes=2)
    memory.dispose()


def test_data_2_keys_cli_reencrypts_with_worker_processes(world: World) -> None:
    world.customer("stationA")
    admin = world.staff(Post.SYSTEM_ADMIN, "prov")
    _, new = _rotate(world)
    done = runner.invoke(app, ["keys", "reencrypt", "--as", admin.username, "--processes", "2"])
    assert done.exit_code == 0, done.output
    assert f"all values under key version {new}" in done.output
    assert set(_all_versions(world)) == {str(new)}


def test_data_1_inventory_cli_lists_classes_and_row_counts(world: World) -> None:
    world.customer("stationA")
    world.customer("stationB")
    dso = world.staff(Post.DATA_SECURITY_OFFICER, "prov")
    result = runner.invoke(app, ["data", "inventory", "--as", dso.username])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "id_number" in x and "customers" in x)
    assert "SM4-GCM" in line and "blind index" in line and line.rstrip(" │").endswith("2")
    clerk = world.staff(Post.HALL_AGENT, "countyA")
    assert runner.invoke(app, ["data", "inventory", "--as", clerk.username]).exit_code == 1


def _prod(**kw: object) -> Settings:
    return Settings(env="prod", secret_key="s" * 40, **kw)  # type: ignore[arg-type]


def test_data_2_master_key_from_env_or_file_and_refused_placeholder_in_prod(
    tmp_path: Path,
) -> None:
    key = "00112233445566778899aabbccddeeff"
    assert key_store.master_key(_prod(master_key=key)) == bytes.fromhex(key)
    path = tmp_path / "master.key"
    path.write_text(key.upper() + "\n")
    assert key_store.master_key(_prod(master_key_file=path)).hex() == key
    with pytest.raises(key_store.MasterKeyError, match="SAFEGRID_MASTER_KEY"):
        key_store.master_key(_prod())
    with pytest.raises(key_store.MasterKeyError, match="32 hex digits"):
        key_store.master_key(_prod(master_key="abcd"))
    with pytest.raises(key_store.MasterKeyError, match="development key"):
        key_store.master_key(_prod(master_key=key_store.DEV_MASTER_KEY.hex()))
    assert key_store.master_key(Settings(env="dev")) == key_store.DEV_MASTER_KEY
    assert key not in repr(_prod(master_key=key))


def test_data_2_no_plaintext_key_in_the_database(world: World) -> None:
    p = world.platform
    rows = key_store.load_keys(p.engine)
    assert rows and sum(r.active for r in rows) == 1
    ring = p.keyring
    for r in rows:
        data_key = ring.cipher._keys[r.version]
        assert data_key not in r.wrapped
