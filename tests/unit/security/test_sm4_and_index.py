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
    FieldCipher,
    MalformedCiphertextError,
    TamperedCiphertextError,
    UnknownKeyVersionError,
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
