"""Keys of the online channel: SafeGrid's merchant private key and the gateway's public
key on SafeGrid's side; the gateway's private key and the merchant public key on the
gateway's side.

Production names real key files (``SAFEGRID_PAY_MERCHANT_KEY_FILE``,
``SAFEGRID_PAY_GATEWAY_PUBLIC_KEY_FILE``). Without them, dev and test generate RSA-2048
keypairs under the keys directory on first use (``dev-merchant.pem``, ``dev-gateway.pem``
plus ``.pub.pem``) — public, throwaway keys, refused when SAFEGRID_ENV=prod the same way
the dev master key is (``security.key_store.master_key``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MERCHANT = "merchant"
GATEWAY = "gateway"
# The WeChat-style channel: our merchant key (signs order requests) and the channel
# platform's key (signs callbacks).
WECHAT_MERCHANT = "wechat-merchant"
WECHAT_PLATFORM = "wechat-platform"
DEV_PREFIX = "dev-"
# A public, throwaway APIv3 key for dev and test (the channel encrypts callback bodies
# with it); refused in prod like the dev keypairs.
DEV_API_V3_KEY = "safegrid-dev-wechat-apiv3-key-32"


class ChannelKeyError(RuntimeError):
    pass


def _private_path(keys_dir: Path, name: str) -> Path:
    return keys_dir / f"{DEV_PREFIX}{name}.pem"


def _public_path(keys_dir: Path, name: str) -> Path:
    return keys_dir / f"{DEV_PREFIX}{name}.pub.pem"


def _write_once(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` atomically unless it exists: two processes starting together (the
    gateway and SafeGrid) must end up with the same key, never one half-written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # fails if another process won the race: keep theirs
    finally:
        os.unlink(tmp)


def ensure_dev_keypair(keys_dir: Path, name: str) -> rsa.RSAPrivateKey:
    """The dev keypair ``name``, generated on first use."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    private = _private_path(keys_dir, name)
    if not private.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_once(private, pem, 0o600)
    key = load_private(private)
    public = _public_path(keys_dir, name)
    if not public.exists():
        pub = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _write_once(public, pub, 0o644)
    return key


def load_private(path: Path) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ChannelKeyError(f"cannot read private key {path}: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ChannelKeyError(f"{path} is not an RSA key of at least 2048 bits")
    return key


def load_public(path: Path) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ChannelKeyError(f"cannot read public key {path}: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise ChannelKeyError(f"{path} is not an RSA key of at least 2048 bits")
    return key


def is_dev_key_file(path: Path) -> bool:
    return path.name.startswith(DEV_PREFIX)


def private_key(env: str, configured: Path | None, keys_dir: Path, name: str) -> rsa.RSAPrivateKey:
    """A configured key file, else (dev/test only) the generated dev keypair ``name``."""
    if configured is not None:
        if env == "prod" and is_dev_key_file(configured):
            raise ChannelKeyError(f"{configured} is a development key; refused in prod")
        return load_private(configured)
    if env == "prod":
        raise ChannelKeyError(
            f"no {name} private key configured; development keys are refused in prod"
        )
    return ensure_dev_keypair(keys_dir, name)


def public_key(env: str, configured: Path | None, keys_dir: Path, name: str) -> rsa.RSAPublicKey:
    """The other side's public key: a configured file, else (dev/test) the dev keypair's."""
    if configured is not None:
        if env == "prod" and is_dev_key_file(configured):
            raise ChannelKeyError(f"{configured} is a development key; refused in prod")
        return load_public(configured)
    if env == "prod":
        raise ChannelKeyError(
            f"no {name} public key configured; development keys are refused in prod"
        )
    return ensure_dev_keypair(keys_dir, name).public_key()


def api_v3_key(env: str, configured: str | None) -> bytes:
    """The WeChat-style channel's APIv3 key (32 bytes, AES-256-GCM): configured, else
    (dev/test only) the public dev key."""
    key = configured or (None if env == "prod" else DEV_API_V3_KEY)
    if key is None or (env == "prod" and key == DEV_API_V3_KEY):
        raise ChannelKeyError("no WeChat APIv3 key configured; the dev key is refused in prod")
    if len(key.encode()) != 32:
        raise ChannelKeyError("the WeChat APIv3 key must be 32 bytes")
    return key.encode()
