"""DATA-2: SM4 and SM3 match the national standards' test vectors; field encryption is
authenticated, versioned and bound to its field; blind indexes match equal values only."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from safegrid.security.blind_index import blind_index, derive_index_key
from safegrid.security.sm4 import (
    CryptoError,
    FieldCipher,
    MalformedCiphertextError,
    TamperedCiphertextError,
    UnknownKeyVersionError,
    open_many,
    seal_many,
    unwrap_key,
    wrap_key,
)

# GB/T 32907-2016, Appendix A example 1.
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_CT = bytes.fromhex("681edf34d206965e86b3e94f536e4246")


def _raw_sm4() -> Any:
    # ECB on one block is exactly the standard's single-block test; never used for data.
    return Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()  # noqa: S305


def test_data_2_sm4_gbt32907_vector() -> None:
    enc = _raw_sm4()
    assert enc.update(SM4_KEY) + enc.finalize() == SM4_CT


def test_data_2_sm4_gbt32907_million_rounds_vector() -> None:
    # Example 2: the same block encrypted 1,000,000 times with the same key.
    enc = _raw_sm4()
    data = SM4_KEY
    for _ in range(1_000_000):
        data = enc.update(data)
    assert data == bytes.fromhex("595298c7c6fd271f0402f804c33d3f66")


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ],
)
def test_data_2_sm3_gbt32905_vectors(message: bytes, digest: str) -> None:
    assert hashlib.new("sm3", message).hexdigest() == digest


def _cipher(active: int = 1) -> FieldCipher:
    return FieldCipher({1: b"k" * 16, 2: b"K" * 16}, active)


@given(st.text(min_size=0, max_size=60))
def test_data_2_round_trip_and_no_plaintext_in_token(value: str) -> None:
    token = _cipher().encrypt(value, "customers.id_number")
    assert _cipher().decrypt(token, "customers.id_number") == value
    if len(value) >= 4:
        assert value not in token


def test_data_2_old_versions_still_decrypt_after_rotation() -> None:
    old = _cipher(1).encrypt("11010519491231002X", "customers.id_number")
    rotated = _cipher(2)
    assert FieldCipher.version_of(rotated.encrypt("x", "f")) == 2
    assert rotated.decrypt(old, "customers.id_number") == "11010519491231002X"


def test_data_2_tampered_ciphertext_is_refused() -> None:
    token = _cipher().encrypt("13812345678", "customers.mobile")
    prefix, version, body = token.split("$")
    raw = bytearray(base64.b64decode(body))
    raw[14] ^= 0x01
    forged = f"{prefix}${version}${base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(TamperedCiphertextError):
        _cipher().decrypt(forged, "customers.mobile")


def test_data_2_ciphertext_is_bound_to_its_field() -> None:
    token = _cipher().encrypt("13812345678", "customers.mobile")
    with pytest.raises(TamperedCiphertextError):
        _cipher().decrypt(token, "customers.id_number")


def test_data_2_unknown_version_and_garbage_are_clear_errors() -> None:
    token = FieldCipher({7: b"z" * 16}, 7).encrypt("x", "f")
    with pytest.raises(UnknownKeyVersionError):
        _cipher().decrypt(token, "f")
    with pytest.raises(MalformedCiphertextError):
        _cipher().decrypt("plain text", "f")
    with pytest.raises(MalformedCiphertextError):
        _cipher().decrypt("sm4gcm$1$@@@", "f")


def test_data_2_data_keys_are_wrapped_by_the_master_key() -> None:
    master, data_key = os.urandom(16), os.urandom(16)
    wrapped = wrap_key(master, data_key, 3)
    assert data_key not in wrapped
    assert unwrap_key(master, wrapped, 3) == data_key
    with pytest.raises(TamperedCiphertextError):
        unwrap_key(os.urandom(16), wrapped, 3)
    with pytest.raises(TamperedCiphertextError):
        unwrap_key(master, wrapped, 4)  # a key cannot be passed off as another version


def test_data_2_blind_index_matches_equal_values_only() -> None:
    master = os.urandom(16)
    idx = derive_index_key(master, "customers.id_number")
    assert blind_index(idx, "11010519491231002x ") == blind_index(idx, "11010519491231002X")
    assert blind_index(idx, "11010519491231002X") != blind_index(idx, "110105194912310039")
    other_field = derive_index_key(master, "customers.mobile")
    assert blind_index(idx, "13812345678") != blind_index(other_field, "13812345678")


# RFC 8998, Appendix A.1: SM4-GCM (the AEAD every field value is sealed with).
RFC8998_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
RFC8998_IV = bytes.fromhex("00001234567800000000abcd")
RFC8998_AAD = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
RFC8998_PT = bytes.fromhex(
    "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
    "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa"
)
RFC8998_CT = bytes.fromhex(
    "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
    "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
)
RFC8998_TAG = bytes.fromhex("83de3541e4c2b58177e065a9bf7b62ec")

# Stored values written before ADR 0014 (sealed by the former bulk path, key bytes 0..15,
# nonces 00..2f, AAD "customers.address", key version 3): data already in databases must
# keep decrypting, and the same nonces must give the same bytes.
LEGACY_KEY = bytes(range(16))
LEGACY_NONCES = bytes(range(48))
LEGACY = {
    "330102199001011234": "sm4gcm$3$AAECAwQFBgcICQoLpHXuyvlYtDnGrER84YrIVBKjaGhm/T/0gXdTH+QhiUy1AA==",
    "13800000001": "sm4gcm$3$DA0ODxAREhMUFRYXhOjrJ12KMa3ZUlMT9CEU4zeGF70uXpcrdJlC",
    "浙江省杭州市西湖区文三路 1 号": "sm4gcm$3$GBkaGxwdHh8gISIjko6a8CZt/bSCZ4IBXu/uw69iwSUTYxa8/FqiHyqlmOzalbcrrCBpguQGrPMj/+XnVne+LK75NZ4RSQ==",
    "": "sm4gcm$3$JCUmJygpKissLS4vagHXLoexvN7SxIrObkxMSA==",
}


def test_data_2_sm4_gcm_rfc8998_vector() -> None:
    (blob,) = seal_many(RFC8998_KEY, [RFC8998_PT], RFC8998_AAD, nonces=RFC8998_IV)
    assert blob == RFC8998_IV + RFC8998_CT + RFC8998_TAG
    assert open_many(RFC8998_KEY, [blob], RFC8998_AAD) == [RFC8998_PT]


def test_data_2_values_stored_before_adr_0014_decrypt_and_reseal_byte_for_byte() -> None:
    cipher = FieldCipher({3: LEGACY_KEY}, 3)
    tokens = list(LEGACY.values())
    assert cipher.decrypt_many(tokens, "customers.address") == list(LEGACY)
    assert [cipher.decrypt(t, "customers.address") for t in tokens] == list(LEGACY)
    blobs = seal_many(
        LEGACY_KEY, [v.encode() for v in LEGACY], b"customers.address", nonces=LEGACY_NONCES
    )
    assert [f"sm4gcm$3${base64.b64encode(b).decode()}" for b in blobs] == tokens


@given(st.lists(st.text(max_size=40), max_size=20))
def test_data_2_a_batch_is_the_values_one_by_one(values: list[str]) -> None:
    old, new = _cipher(1), _cipher(2)
    mixed = [(old if i % 2 else new).encrypt(v, "customers.mobile") for i, v in enumerate(values)]
    assert new.decrypt_many(mixed, "customers.mobile") == values
    batch = new.encrypt_many(values, "customers.mobile")
    assert [new.decrypt(t, "customers.mobile") for t in batch] == values
    assert all(FieldCipher.version_of(t) == 2 for t in batch)
    assert len(set(batch)) == len(batch)  # a fresh nonce per value


def test_data_2_a_batch_refuses_as_a_whole_when_one_value_is_bad() -> None:
    cipher = _cipher()
    good = cipher.encrypt_many(["13812345678", "13912345678"], "customers.mobile")
    moved = cipher.encrypt("13712345678", "customers.id_number")
    with pytest.raises(TamperedCiphertextError):
        cipher.decrypt_many([*good, moved], "customers.mobile")
    unknown = FieldCipher({5: b"z" * 16}, 5).encrypt("x", "customers.mobile")
    with pytest.raises(UnknownKeyVersionError):
        cipher.decrypt_many([*good, unknown], "customers.mobile")
    with pytest.raises(MalformedCiphertextError):
        open_many(b"k" * 16, [b"short"], b"")
    with pytest.raises(CryptoError, match="nonces"):
        seal_many(b"k" * 16, [b"a", b"b"], b"", nonces=b"n" * 12)
    with pytest.raises(CryptoError, match="16 bytes"):
        seal_many(b"short", [b"a"], b"")
