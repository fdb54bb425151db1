"""Request and response shapes of the terminal registry and the terminal API (DATA-7)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safegrid.readings.schemas import ReadingEntry
from safegrid.terminals.models import CommandKind, CommandStatus, TerminalStatus

MAX_READINGS = 5000
MAX_SEALED_CHARS = 4 * 1024 * 1024
BATCH_ID_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"


class TerminalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    serial_no: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    model: str = Field(min_length=2, max_length=64)
    org_unit_id: int = Field(gt=0)
    reader_id: int = Field(gt=0)


class MarkLost(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=2, max_length=200)


class TerminalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    serial_no: str
    model: str
    org_unit_id: int
    reader_id: int
    reader_username: str | None = None
    status: TerminalStatus
    registered_at: datetime
    registered_by: str
    last_seen_at: datetime | None
    credentials_revoked_at: datetime | None
    lost_at: datetime | None
    lost_reason: str | None
    wiped_at: datetime | None


class CommandOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: CommandKind
    status: CommandStatus
    queued_at: datetime
    queued_by: str
    delivered_at: datetime | None
    acknowledged_at: datetime | None


class UploadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    batch_id: str
    reader_username: str
    readings: int
    flagged: int
    sent_at: datetime
    received_at: datetime


class TerminalDetail(TerminalOut):
    commands: list[CommandOut]
    uploads: list[UploadOut]


class Credentials(BaseModel):
    """Shown once, at registration; the server keeps only a digest and a wrapped key."""

    terminal: TerminalOut
    terminal_id: str  # the public code the terminal authenticates with
    secret: str
    upload_key: str  # base64 of the 16-byte SM4 key


class UploadEnvelope(BaseModel):
    """What a terminal posts: the sealed batch and the values its AAD binds."""

    model_config = ConfigDict(extra="forbid")

    batch_id: str = Field(pattern=BATCH_ID_PATTERN)
    # Kept as sent: the AAD covers these exact characters.
    sent_at: str = Field(min_length=20, max_length=32)
    sealed: str = Field(min_length=40, max_length=MAX_SEALED_CHARS)

    @field_validator("sent_at")
    @classmethod
    def _aware(cls, value: str) -> str:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("发送时间格式无效 / sent_at is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise ValueError("发送时间须带时区 / sent_at needs a time zone (e.g. Z)")
        return value

    def sent_at_time(self) -> datetime:
        return datetime.fromisoformat(self.sent_at.replace("Z", "+00:00")).astimezone(UTC)


class BatchPlaintext(BaseModel):
    """The decrypted batch."""

    model_config = ConfigDict(extra="forbid")

    readings: list[ReadingEntry] = Field(min_length=1, max_length=MAX_READINGS)


class UploadResult(BaseModel):
    batch_id: str
    upload_id: int
    readings: int
    flagged: int
    replayed: bool  # True: this batch had already been recorded; nothing was inserted
    # Implausible readings held for review instead of stored (readings.intake), by kind,
    # and the meter's later readings held back with them; not repeated on a replay.
    queued: int = 0
    queued_counts: dict[str, int] = Field(default_factory=dict)
    held: int = 0


class TerminalCommandOut(BaseModel):
    """A command as the terminal sees it."""

    id: int
    kind: CommandKind
    queued_at: datetime


class ReaderChoice(BaseModel):
    """A meter reader a terminal may be assigned to (registration form)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    real_name: str
    org_unit_id: int
