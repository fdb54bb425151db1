"""The online payment channels SafeGrid takes callbacks from (PAY-6): one entry per
channel — its name, the path its callbacks are posted to, who the callback's changes are
by, the ledger channel its payments are captured under, and how its adapter is built
(the adapter knows the channel's signature scheme). The callback route, its ASGI fast
path, the inbox and its applier all look channels up here; adding a channel is its
adapter module plus an entry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from safegrid.config import get_settings
from safegrid.payments.ledger.models import PaymentChannel
from safegrid.payments.online.channels import PaymentChannelAdapter
from safegrid.payments.online.sandbox import SANDBOX, SandboxChannel
from safegrid.payments.online.settings import ChannelSettings, get_channel_settings
from safegrid.payments.online.wechat import WECHAT, WeChatPayChannel
from safegrid.security.actor import Actor

CALLBACKS = "/api/payments/online/callbacks"


@dataclasses.dataclass(frozen=True)
class ChannelEntry:
    name: str
    ledger_channel: PaymentChannel
    signature: str  # the scheme, named where the public callback route is declared
    build: Callable[[ChannelSettings, str], PaymentChannelAdapter]
    path: str = ""
    # Who a callback's changes are by (built once: an Actor is immutable, and building
    # one per callback showed in profiles); the caller's address is added per callback.
    actor: Actor = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", self.path or f"{CALLBACKS}/{self.name}")
        object.__setattr__(self, "actor", Actor.system(f"channel:{self.name}", "api"))


CHANNELS: tuple[ChannelEntry, ...] = (
    ChannelEntry(SANDBOX, PaymentChannel.ONLINE_SANDBOX, "RSA2 signature", SandboxChannel),
    ChannelEntry(
        WECHAT,
        PaymentChannel.ONLINE_WECHAT,
        "WeChat Pay v3 RSA-SHA256 signature headers",
        WeChatPayChannel,
    ),
)
_BY_NAME = {c.name: c for c in CHANNELS}
_BY_PATH = {c.path: c for c in CHANNELS}
_adapters: dict[str, PaymentChannelAdapter] = {}


def entry(name: str) -> ChannelEntry:
    found = _BY_NAME.get(name)
    if found is None:
        raise ValueError(f"unknown payment channel {name!r}")
    return found


def by_path(path: str) -> ChannelEntry | None:
    return _BY_PATH.get(path)


def get_channel(name: str = SANDBOX) -> PaymentChannelAdapter:
    """The channel's adapter (built once per process from the settings)."""
    found = _adapters.get(name)
    if found is None:
        found = _adapters[name] = entry(name).build(get_channel_settings(), get_settings().env)
    return found


def set_channel(channel: PaymentChannelAdapter | None, name: str = SANDBOX) -> None:
    """Tests (and one process serving one gateway) choose the adapter in use."""
    entry(name)
    if channel is None:
        _adapters.pop(name, None)
    else:
        _adapters[name] = channel
