"""DATA-2: the optional C extension ``safegrid._sm4gcm`` (ADR 0008) that seals bulk field
encryption. Its SM4 matches GB/T 32907-2016's vectors, and everything it seals OpenSSL
(`cryptography`) opens and verifies — and the other way round — so the stored format
cannot drift from the per-value path, which decryption always uses."""

from __future__ import annotations

import base64
import os
import random

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from safegrid.security import sm4
from safegrid.security.sm4 import FieldCipher, TamperedCiphertextError

try:
    from safegrid import _sm4gcm
except ImportError:
    if os.environ.get("CI"):
        raise  # CI installs with a compiler (make venv): a missing build there is a failure
    pytest.skip(
        "safegrid._sm4gcm is not built (no C compiler when the package was installed); "
        "`pip install -e .` builds it",
        allow_module_level=True,
    )

# GB/T 32907-2016, Appendix A.
KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
CT_ONCE = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
CT_MILLION = bytes.fromhex("595298c7c6fd271f0402f804c33d3f66")
CASES = 3000


def _openssl_open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    nonce, body, tag = blob[:12], blob[12:-16], blob[-16:]
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(body) + dec.finalize()


def _openssl_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    body = enc.update(plaintext) + enc.finalize()
    return nonce + body + enc.tag


def _cases(seed: int) -> list[tuple[bytes, bytes, bytes, bytes]]:
    rng = random.Random(seed)
    return [
        (
            rng.randbytes(16),
            rng.randbytes(12),
            rng.randbytes(rng.randint(0, 100)),
            rng.randbytes(rng.choice((0, rng.randint(1, 40)))),
        )
        for _ in range(CASES)
    ]


def test_data_2_sm4gcm_extension_gbt32907_block_vector() -> None:
    assert _sm4gcm.ecb_block(KEY, KEY) == CT_ONCE
    assert _sm4gcm.ecb_block(KEY, CT_ONCE, decrypt=True) == KEY


def test_data_2_sm4gcm_extension_gbt32907_million_rounds_vector() -> None:
    assert _sm4gcm.ecb_block(KEY, KEY, rounds=1_000_000) == CT_MILLION
    assert _sm4gcm.ecb_block(KEY, CT_MILLION, rounds=1_000_000, decrypt=True) == KEY


def test_data_2_sm4gcm_extension_sealed_values_open_in_openssl() -> None:
    for key, nonce, plaintext, aad in _cases(32907):
        (blob,) = _sm4gcm.seal_many(key, nonce, [plaintext], [aad])
        assert len(blob) == 12 + len(plaintext) + 16
        assert blob[:12] == nonce
        assert _openssl_open(key, blob, aad) == plaintext


def test_data_2_sm4gcm_extension_opens_openssl_sealed_values() -> None:
    for key, nonce, plaintext, aad in _cases(38):
        sealed = _openssl_seal(key, nonce, plaintext, aad)
        assert _sm4gcm.open_many(key, [sealed], aad) == [plaintext]
        assert _sm4gcm.seal_many(key, nonce, [plaintext], aad) == [sealed]  # byte for byte


def test_data_2_sm4gcm_extension_batch_with_a_shared_aad() -> None:
    # One AAD for the whole batch is GHASHed once: each value must still be exact.
    key, aad = os.urandom(16), b"customers.address"
    values = [os.urandom(n) for n in range(100)] + ["浙江省杭州市西湖区文三路 1 号".encode()]
    nonces = os.urandom(12 * len(values))
    blobs = _sm4gcm.seal_many(key, nonces, values, aad)
    assert [_openssl_open(key, b, aad) for b in blobs] == values
    assert _sm4gcm.open_many(key, blobs, [aad] * len(blobs)) == values


def test_data_2_sm4gcm_extension_tampered_tag_refused() -> None:
    key, nonce, aad = os.urandom(16), os.urandom(12), b"customers.id_number"
    (blob,) = _sm4gcm.seal_many(key, nonce, [b"110101199003074578"], aad)
    for at in (len(blob) - 1, 12, 0):  # tag, ciphertext, nonce
        forged = bytearray(blob)
        forged[at] ^= 0x01
        with pytest.raises(InvalidTag):
            _openssl_open(key, bytes(forged), aad)
        assert _sm4gcm.open_many(key, [bytes(forged)], aad) == [None]
    with pytest.raises(InvalidTag):
        _openssl_open(key, blob, b"customers.mobile")  # another field's AAD
    assert _sm4gcm.open_many(key, [blob, blob[:20]], b"customers.mobile") == [None, None]


def test_data_2_sm4gcm_extension_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        _sm4gcm.seal_many(b"short", os.urandom(12), [b"x"], b"")
    with pytest.raises(ValueError, match="12 bytes per value"):
        _sm4gcm.seal_many(os.urandom(16), os.urandom(11), [b"x"], b"")
    with pytest.raises(ValueError, match="one AAD per value"):
        _sm4gcm.seal_many(os.urandom(16), os.urandom(24), [b"x", b"y"], [b""])
    with pytest.raises(TypeError, match="bytes or str"):
        _sm4gcm.seal_many(os.urandom(16), os.urandom(12), [42], b"")


def test_data_2_sm4gcm_tokens_are_head_and_base64_of_the_sealed_value() -> None:
    key, aad = os.urandom(16), b"accounts.bank_account"
    values = ["", "6222021234567890123", "é" * 70]
    nonces = os.urandom(12 * len(values))
    tokens = _sm4gcm.seal_tokens(key, nonces, values, aad, "sm4gcm$7$")
    blobs = _sm4gcm.seal_many(key, nonces, values, aad)
    assert tokens == ["sm4gcm$7$" + base64.b64encode(b).decode() for b in blobs]


def test_data_2_field_cipher_batch_uses_the_extension_and_openssl_decrypts_it() -> None:
    assert sm4.NATIVE_BULK
    cipher = FieldCipher({1: os.urandom(16), 2: os.urandom(16)}, 2)
    values = ["110101199003074578", "", "13812345678", "浙江省杭州市西湖区文三路 1 号"]
    native = cipher.encrypt_many(values, "customers.address")
    fallback = cipher.encrypt_many(values, "customers.address", native=False)
    for tokens in (native, fallback):
        assert all(t.startswith("sm4gcm$2$") for t in tokens)
        assert [cipher.decrypt(t, "customers.address") for t in tokens] == values
    assert len(set(native)) == len(values)  # a fresh nonce per value
    with pytest.raises(TamperedCiphertextError):
        cipher.decrypt(native[0], "customers.id_number")
