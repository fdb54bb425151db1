"""Administration functions only from allow-listed networks (OPS-8), enforced in one place:
the route guard asks :func:`allowed` for every route whose permission is in
``policy.ADMIN_PERMS``. ``SAFEGRID_ADMIN_NETWORKS``: comma-separated CIDRs (default: the
loopback and the private intranet ranges). A client without a network address (an
in-process test client, a Unix socket) is local."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AdminNetworkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEGRID_", env_file=".env", extra="ignore")

    admin_networks: str = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"


@lru_cache
def networks() -> tuple[Network, ...]:
    spec = AdminNetworkSettings().admin_networks
    return tuple(
        ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip()
    )


def allowed(host: str | None) -> bool:
    try:
        addr = ipaddress.ip_address(host or "")
    except ValueError:
        return True
    return any(addr in net for net in networks())
