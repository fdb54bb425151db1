"""Sensitive columns are encrypted by the mapping layer and searched through blind indexes
(DATA-1, DATA-2); bad ciphertext gets a clear error and never plaintext."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select, text

from safegrid.customers.models import Customer
from safegrid.customers.services import get_customer, search_customers
from safegrid.platform.paging import PageQuery
from safegrid.security import keyring
from safegrid.security.classification import sensitive_columns
from safegrid.security.fields import is_encrypted
from safegrid.security.models import StaffAccount
from safegrid.security.policy import Post
from safegrid.security.sm4 import (
    FieldCipher,
    MalformedCiphertextError,
    TamperedCiphertextError,
    UnknownKeyVersionError,
)
from tests.fixtures.world import World

PAGE = PageQuery(page=1, size=20)


def _raw(world: World, sql: str, **params: object) -> list[tuple[object, ...]]:
    with world.platform.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def _customer_values(world: World, cid: int) -> tuple[str, str, str]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        c = uow.session.get(Customer, cid)
        assert c is not None and c.id_number and c.mobile
        return c.id_number, c.mobile, c.address


def test_data_2_customer_fields_stored_as_versioned_sm4_ciphertext(world: World) -> None:
    cid = world.customer("stationA")
    id_number, mobile, address = _customer_values(world, cid)
    ((raw_id, raw_mobile, raw_address, bidx),) = _raw(
        world,
        "SELECT id_number, mobile, address, id_number_bidx FROM customers WHERE id = :i",
        i=cid,
    )
    active = keyring.current().active_version
    for stored, plain in ((raw_id, id_number), (raw_mobile, mobile), (raw_address, address)):
        assert isinstance(stored, str) and stored.startswith(f"sm4gcm${active}$")
        assert plain not in stored
    assert isinstance(bidx, str) and len(bidx) == 32 and id_number not in bidx


def test_data_1_every_declared_column_is_encrypted_and_searchable_ones_indexed() -> None:
    declared = {c.field: c for c in sensitive_columns()}
    assert {"customers.id_number", "customers.mobile", "customers.address",
            "accounts.bank_account", "supply_points.address",
            "staff_accounts.totp_secret"} <= set(declared)  # fmt: skip
    assert all(c.encrypted for c in declared.values())
    assert declared["customers.id_number"].searchable and declared["customers.mobile"].searchable
    assert not declared["customers.address"].searchable
    assert is_encrypted(Customer.__table__.c.id_number)


def test_data_2_search_by_id_number_and_phone_goes_through_the_blind_index(
    world: World,
) -> None:
    cid = world.customer("stationA")
    world.customer("stationA")
    id_number, mobile, _ = _customer_values(world, cid)
    actor = world.actor(world.staff(Post.HALL_AGENT, "countyA"))
    for q in (id_number, id_number.lower(), mobile):
        page = search_customers(world.platform.uow(actor, readonly=True), q, None, None, PAGE)
        assert [c.id for c in page.items] == [cid], q
        assert page.items[0].id_number != id_number  # masked on the way out (DATA-3)


def test_data_2_comparing_ciphertext_is_refused_not_silently_empty() -> None:
    with pytest.raises(TypeError, match="blind index"):
        _ = Customer.id_number == "330183199001010011"
    assert Customer.mobile.is_(None) is not None  # NULL tests stay allowed


def test_data_2_duplicate_id_number_found_through_the_index(world: World) -> None:
    from safegrid.platform.errors import ConflictError

    cid = world.customer("stationA")
    id_number, _, _ = _customer_values(world, cid)
    with pytest.raises(ConflictError):
        world.customer("stationB", id_number=id_number)


def test_data_2_totp_secret_encrypted_at_rest(world: World) -> None:
    staff = world.staff(Post.CASHIER, "hallA")
    ((raw,),) = _raw(world, "SELECT totp_secret FROM staff_accounts WHERE id = :i", i=staff.id)
    assert isinstance(raw, str) and raw.startswith("sm4gcm$") and staff.totp_secret not in raw
    with world.platform.uow(world.system(), readonly=True) as uow:
        account = uow.session.get(StaffAccount, staff.id)
        assert account is not None and account.totp_secret == staff.totp_secret


def _corrupt(world: World, cid: int, value: str) -> None:
    with world.platform.engine.begin() as conn:
        conn.execute(
            text("UPDATE customers SET id_number = :v WHERE id = :i"), {"v": value, "i": cid}
        )


def test_data_2_tampered_ciphertext_gets_a_clear_error_never_plaintext(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    cid = world.customer("stationA")
    id_number, _, _ = _customer_values(world, cid)
    ((raw,),) = _raw(world, "SELECT id_number FROM customers WHERE id = :i", i=cid)
    assert isinstance(raw, str)
    version, blob = FieldCipher.parse(raw)
    flipped = bytes([blob[20] ^ 1]) if len(blob) > 20 else b""
    tampered = blob[:20] + flipped + blob[21:]
    _corrupt(world, cid, f"sm4gcm${version}${base64.b64encode(tampered).decode()}")
    with pytest.raises(TamperedCiphertextError, match="GCM tag") as exc:
        get_customer(world.platform.uow(world.system(), readonly=True), cid)
    assert id_number not in str(exc.value)
    assert "customers.id_number" in caplog.text and id_number not in caplog.text


def test_data_2_ciphertext_moved_to_another_column_fails_authentication(world: World) -> None:
    cid = world.customer("stationA")
    with world.platform.engine.begin() as conn:
        conn.execute(text("UPDATE customers SET id_number = mobile WHERE id = :i"), {"i": cid})
    with pytest.raises(TamperedCiphertextError):
        _customer_values(world, cid)


def test_data_2_unknown_key_version_gets_a_clear_error(world: World) -> None:
    cid = world.customer("stationA")
    ((raw,),) = _raw(world, "SELECT id_number FROM customers WHERE id = :i", i=cid)
    assert isinstance(raw, str)
    _corrupt(world, cid, raw.replace("sm4gcm$", "sm4gcm$9", 1))  # version 1 → 91 etc.
    with pytest.raises(UnknownKeyVersionError, match=r"customers\.id_number: no data key"):
        _customer_values(world, cid)
    _corrupt(world, cid, "sm4gcm$1$not base64!")
    with pytest.raises(MalformedCiphertextError):
        _customer_values(world, cid)


def test_data_2_legacy_plaintext_rows_read_until_reencrypted(world: World) -> None:
    """A database upgraded from 0002 holds plaintext until `safegrid keys reencrypt`."""
    cid = world.customer("stationA")
    _corrupt(world, cid, "330183199001010011")
    assert _customer_values(world, cid)[0] == "330183199001010011"
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalars(select(Customer.id_number)).all() == ["330183199001010011"]


def test_data_2_seal_bulk_encrypts_rows_in_batch_and_trusts_only_its_own_tokens(
    world: World,
) -> None:
    from safegrid.security.fields import Sealed, index_value, seal_bulk

    table = Customer.__table__
    ring = keyring.current()
    rows: list[dict[str, object]] = [
        {"id_number": "110101199003074578", "mobile": "13812345678", "address": "文三路 1 号"},
        {"id_number": None, "mobile": None, "address": "文三路 2 号"},
    ]
    seal_bulk(table, rows)
    sealed = rows[0]["id_number"]
    assert type(sealed) is Sealed and sealed.startswith(f"sm4gcm${ring.active_version}$")
    assert ring.decrypt(sealed, "customers.id_number") == "110101199003074578"
    assert ring.decrypt(str(rows[1]["address"]), "customers.address") == "文三路 2 号"
    assert rows[0]["id_number_bidx"] == index_value(table.c.id_number, "110101199003074578")
    assert rows[1]["id_number"] is None and rows[1]["id_number_bidx"] is None
    seal_bulk(table, rows)  # idempotent: a sealed value is never sealed twice
    assert rows[0]["id_number"] == sealed
    column_type = table.c.id_number.type
    assert column_type.process_bind_param(sealed, None) == sealed
    # A caller's string that merely looks sealed is encrypted like any other value.
    lookalike = column_type.process_bind_param(str(sealed), None)
    assert lookalike != sealed and ring.decrypt(lookalike, "customers.id_number") == sealed
