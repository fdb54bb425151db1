"""Request and response shapes of the hall API and console forms (HALL-1..9)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from safegrid.hall.catalogue import BusinessType, Channel, Priority, WindowStatus, parse_skills

_FORM = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _local_clock_time(value: time) -> time:
    # Opening hours are wall-clock times of the hall's own town; an offset would make the
    # opens/closes comparison meaningless (and aware and naive times cannot be compared).
    if value.tzinfo is not None:
        raise ValueError("营业时间不带时区 / opening hours are local times without an offset")
    return value


LocalTime = Annotated[time, AfterValidator(_local_clock_time)]


class HallCreate(BaseModel):
    model_config = _FORM

    parent_id: int = Field(gt=0)
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=2, max_length=100)
    name_en: str = Field(min_length=2, max_length=100)
    address: str = Field(min_length=4, max_length=200)
    opens_at: LocalTime = time(8, 30)
    closes_at: LocalTime = time(17, 30)
    queue_threshold: int = Field(default=20, ge=1, le=10_000)
    wait_limit_minutes: int = Field(default=30, ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _hours(self) -> HallCreate:
        if self.closes_at <= self.opens_at:
            raise ValueError("闭厅时间须晚于开厅时间 / closes_at must be after opens_at")
        return self


class HallUpdate(BaseModel):
    model_config = _FORM

    address: str = Field(min_length=4, max_length=200)
    opens_at: LocalTime
    closes_at: LocalTime
    queue_threshold: int = Field(ge=1, le=10_000)
    wait_limit_minutes: int = Field(ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _hours(self) -> HallUpdate:
        if self.closes_at <= self.opens_at:
            raise ValueError("闭厅时间须晚于开厅时间 / closes_at must be after opens_at")
        return self


class HallOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    path: str
    address: str
    opens_at: LocalTime
    closes_at: LocalTime
    queue_threshold: int
    wait_limit_minutes: int


class WindowCreate(BaseModel):
    model_config = _FORM

    number: int = Field(ge=1, le=999)
    name: str = Field(min_length=1, max_length=60)
    skills: str = Field(min_length=3, max_length=200)
    status: WindowStatus = WindowStatus.OPEN

    @field_validator("skills")
    @classmethod
    def _skills(cls, v: str) -> str:
        return ",".join(parse_skills(v))


class WindowUpdate(BaseModel):
    model_config = _FORM

    name: str = Field(min_length=1, max_length=60)
    skills: str = Field(min_length=3, max_length=200)
    status: WindowStatus

    @field_validator("skills")
    @classmethod
    def _skills(cls, v: str) -> str:
        return ",".join(parse_skills(v))


class WindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_unit_id: int
    number: int
    name: str
    skills: str
    status: WindowStatus


class TicketTake(BaseModel):
    model_config = _FORM

    business_type: BusinessType
    channel: Channel = Channel.COUNTER
    priority: Priority = Priority.NORMAL
    customer_id: int | None = Field(default=None, gt=0)


class TicketOut(BaseModel):
    id: int
    hall_id: int
    number: str
    business_type: BusinessType
    status: str
    business_day: date
    taken_at: datetime
    people_ahead: int
    predicted_wait_minutes: int
    window_id: int | None = None
    window_number: int | None = None


class Transfer(BaseModel):
    model_config = _FORM

    business_type: BusinessType | None = None
    window_id: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> Transfer:
        if (self.business_type is None) == (self.window_id is None):
            raise ValueError(
                "转办须指定业务类型或窗口之一 / name either business_type or window_id"
            )
        return self


class Step(BaseModel):
    model_config = _FORM

    step: Literal["recall", "no_show", "complete"]


class Rating(BaseModel):
    model_config = _FORM

    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=300)


class AppointmentCreate(BaseModel):
    model_config = _FORM

    business_type: BusinessType
    slot_start: datetime
    contact_name: str = Field(min_length=1, max_length=60)
    customer_id: int | None = Field(default=None, gt=0)

    @field_validator("slot_start")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("须带时区 / slot_start needs a timezone")
        return v


class HallEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_unit_id: int
    kind: str
    ticket_id: int | None
    customer_id: int | None
    window_id: int | None
    actor: str
    payload: dict[str, object]
    occurred_at: datetime


class FeedPage(BaseModel):
    events: list[HallEventOut]
    cursor: int  # pass as ``after`` to get the next page
    more: bool


class FeedSubscriberCreate(BaseModel):
    model_config = _FORM

    name: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    org_unit_id: int = Field(gt=0)
    webhook_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")


class FeedSubscriberCreated(BaseModel):
    id: int
    name: str
    org_unit_id: int
    token: str  # shown once
    signing_secret: str  # shown once
