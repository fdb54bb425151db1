"""业扩 application configuration (``SAFEGRID_APPLICATIONS_*``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from safegrid.apicontract import body_limits

# Ceilings of the settings below: the upload routes' body limit is fixed at import.
MAX_DOCUMENT_BYTES: Final = 8 * body_limits.MIB
MAX_DOCUMENTS: Final = 6
UPLOAD_BODY_BYTES: Final = body_limits.upload_limit(MAX_DOCUMENTS * MAX_DOCUMENT_BYTES)


class ApplicationSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAFEGRID_APPLICATIONS_", env_file=".env", extra="ignore"
    )

    # Largest document accepted (PDF, JPEG or PNG).
    document_max_bytes: int = Field(default=5 * body_limits.MIB, ge=1024, le=MAX_DOCUMENT_BYTES)
    # Working days the hall has to accept, ask for more or reject a submitted application.
    handle_working_days: int = Field(default=2, ge=1, le=20)
    # Working days the applicant gets to supply what is missing, unless the agent says.
    supply_working_days: int = Field(default=5, ge=1, le=30)


@lru_cache(maxsize=1)
def application_settings() -> ApplicationSettings:
    return ApplicationSettings()
