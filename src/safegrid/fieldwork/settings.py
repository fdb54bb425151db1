"""Field work configuration (``SAFEGRID_FIELD_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FieldSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEGRID_FIELD_", env_file=".env", extra="ignore")

    # The weather service (``safegrid-sandbox weather`` in development, FLD-5).
    weather_url: str = "http://127.0.0.1:8091"
    weather_timeout_seconds: float = Field(default=5.0, gt=0)
    # Largest photo accepted for a checklist item.
    photo_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)


@lru_cache(maxsize=1)
def field_settings() -> FieldSettings:
    return FieldSettings()
