"""Channel configuration (``SAFEGRID_NOTIFY_*``). With no gateway configured, messages stay
in the outbox table and are read in the console — the default on a utility intranet."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAFEGRID_NOTIFY_", env_file=".env", extra="ignore"
    )

    sms_gateway_url: str | None = None  # e.g. https://sms.intranet/api/send
    sms_gateway_token: str | None = None
    sms_signature: str = "【国网电力】"
    timeout_seconds: float = 5.0


@lru_cache
def get_notification_settings() -> NotificationSettings:
    return NotificationSettings()
