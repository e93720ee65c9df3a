"""Validated input for the quiz use cases, shared by web forms, the JSON API and bank import."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quizsvc.errors import Invalid
from quizsvc.quiz.bank import MAX_TIME_LIMIT
from quizsvc.text import Text

M = TypeVar("M", bound=BaseModel)


class LocalizedText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ko: str = Field(default="", max_length=20000)
    en: str = Field(default="", max_length=20000)


class QuizInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1, max_length=200)
    title_en: str = Field(default="", max_length=200)
    description: LocalizedText = Field(default_factory=LocalizedText)
    position: int = Field(default=0, ge=0, le=10000)
    published: bool = False
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=1000)
    time_limit_minutes: int | None = Field(default=None, ge=1, le=MAX_TIME_LIMIT)  # None: untimed
    feedback_policy: Literal["immediate", "after_close"] = "immediate"
    shuffle_options: bool = True

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        return v if v is None or v.tzinfo else v.replace(tzinfo=UTC)

    def model_post_init(self, _ctx: Any) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise Invalid(Text(en="The close date must be after the open date.", ko="마감 시각은 시작 시각 이후여야 합니다."))


class ItemInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    type_name: str = Field(min_length=1, max_length=32)
    section: str = Field(default="", max_length=64)
    points: float = Field(default=1.0, gt=0, le=1000)
    prompt: LocalizedText
    explanation: LocalizedText = Field(default_factory=LocalizedText)
    config: dict[str, Any] = Field(default_factory=dict)
    position: int | None = Field(default=None, ge=0, le=10000)


def parse_input(model: type[M], data: Any) -> M:
    """Validate with pydantic and turn its errors into one ``Invalid`` listing every field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = {
            ".".join(str(p) for p in err["loc"]) or "body": err["msg"] for err in exc.errors()
        }
        raise Invalid(Text(en="Please check the input.", ko="입력값을 확인하세요."), errors=errors) from None
