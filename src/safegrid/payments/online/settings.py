"""Online channel configuration (``SAFEGRID_PAY_*``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from safegrid.config import REPO_ROOT


class ChannelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEGRID_PAY_", env_file=".env", extra="ignore")

    # Where SafeGrid reaches the sandbox gateway's merchant API (server to server).
    gateway_url: str = "http://127.0.0.1:8090"
    merchant_id: str = "safegrid-dev"
    # Dev keypairs live here (generated on first use); prod names real key files instead.
    keys_dir: Path = Field(default_factory=lambda: REPO_ROOT / "var" / "payment-keys")
    merchant_key_file: Path | None = None  # SafeGrid's private key (signs order requests)
    gateway_public_key_file: Path | None = None  # verifies callbacks
    # The gateway's side (``safegrid-sandbox gateway``): its own private key and the
    # merchant's public key.
    gateway_key_file: Path | None = None
    merchant_public_key_file: Path | None = None
    # An order not paid within this many minutes expires (and stops counting to the limit).
    order_ttl_minutes: int = Field(default=30, ge=1)
    timeout_seconds: float = 10.0
    # Callbacks committed to the durable inbox per transaction by the process's batcher
    # (ADR 0010, ADR 0013).
    callback_batch_max: int = Field(default=64, ge=1, le=1000)
    # Who applies the inbox: "process" — one applier process per server, started by
    # ``safegrid serve`` at low CPU priority, so acknowledging callbacks keeps the CPU
    # under load; "thread" — a thread in each process that receives callbacks (tests,
    # ``TestClient``); "none" — only ``safegrid payments inbox apply``.
    inbox_applier: Literal["process", "thread", "none"] = "thread"
    # How long a server process's batcher waits after the first callback for more to
    # arrive before its transaction (fuller batches under load; ADR 0013).
    callback_linger_ms: float = Field(default=2.0, ge=0, le=50)
    # Inbox rows the applier takes per transaction at most (it takes what is pending, so
    # batches are this large only while it catches up after a burst; the accounts of a
    # batch stay locked until it commits, about 1.5 ms per row).
    callback_apply_batch: int = Field(default=1000, ge=1, le=5000)
    # The idle applier sleeps until the door wakes it (NOTIFY / a local datagram); it looks
    # anyway after this many seconds (rows a crashed applier left, a lost wake-up).
    inbox_idle_poll_seconds: float = Field(default=30.0, gt=0, le=3600)
    # The oldest acknowledged callback not in the ledger after this many minutes raises
    # an ``inbox_backlog`` alert (job ``payments.inbox_backlog``, every 5 minutes).
    inbox_backlog_alert_minutes: float = Field(default=10.0, gt=0, le=1440)
    # The WeChat-style channel (:mod:`safegrid.payments.online.wechat`): its v3 API, our
    # merchant number and app, where it posts callbacks, and the keys.
    wechat_api_url: str = "https://api.mch.weixin.qq.com"
    wechat_appid: str = "wx-safegrid-dev"
    wechat_mchid: str = "safegrid-dev"
    wechat_notify_url: str = "http://127.0.0.1:8000/api/payments/online/callbacks/wechat"
    wechat_merchant_serial: str = "MERCHANT-DEV"  # our certificate's serial number
    wechat_merchant_key_file: Path | None = None
    wechat_platform_public_key_file: Path | None = None  # verifies callbacks
    wechat_platform_serial: str | None = None  # when set, callbacks must name it
    wechat_api_v3_key: str | None = None  # 32 bytes; decrypts callback resources
    # A callback signed longer ago than this (or ahead of our clock) is a replay.
    wechat_max_age_seconds: int = Field(default=300, ge=30, le=3600)


@lru_cache
def get_channel_settings() -> ChannelSettings:
    return ChannelSettings()
