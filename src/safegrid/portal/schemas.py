"""Form payloads of the portal pages (validated by web/forms.submit)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_FORM = ConfigDict(str_strip_whitespace=True, extra="ignore")


class CodeRequest(BaseModel):
    model_config = _FORM
    mobile: str = Field(min_length=1, max_length=20)


class SignIn(BaseModel):
    model_config = _FORM
    mobile: str = Field(min_length=1, max_length=20)
    code: str = Field(min_length=1, max_length=8)


class Bind(BaseModel):
    model_config = _FORM
    account_no: str = Field(min_length=1, max_length=20)
    proof: str = Field(min_length=1, max_length=100)


class FeedbackIn(BaseModel):
    model_config = _FORM
    account_no: str = Field(min_length=1, max_length=20)
    kind: str = Field(min_length=1, max_length=16)
    subject: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=2000)


class RatingIn(BaseModel):
    model_config = _FORM
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=500)


class AnswerIn(BaseModel):
    model_config = _FORM
    answer: str = Field(min_length=1, max_length=2000)
