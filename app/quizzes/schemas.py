"""Form models of the trainer's quiz pages: quiz settings, question slots and manual grades."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from app.core.i18n import DISPLAY_TIMEZONE, _

ReviewRule = Literal["immediately", "after_close", "never"]


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _decimal(value: object) -> object:
    """Accept the decimal comma Lithuanian and Norwegian keyboards type."""
    if isinstance(value, str):
        return value.strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
    return value


def _local_datetime(value: object) -> object:
    """A `datetime-local` field is wall-clock time in Lithuania; stored in UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        naive = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise PydanticCustomError("klasteris_datetime", _("Enter a date and time, like 2026-12-01 09:00.")) from exc
    if naive.tzinfo is not None:
        return naive.astimezone(dt.UTC)
    return naive.replace(tzinfo=ZoneInfo(DISPLAY_TIMEZONE)).astimezone(dt.UTC)


Decimal = Annotated[float, BeforeValidator(_decimal)]
OptionalMinutes = Annotated[Annotated[int, Field(ge=1, le=1440)] | None, BeforeValidator(_blank_to_none)]
LocalDateTime = Annotated[dt.datetime | None, BeforeValidator(_local_datetime)]


class QuizSettingsForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    pass_mark: Annotated[Decimal, Field(ge=0, le=100)]
    max_attempts: int = Field(ge=0, le=100)
    time_limit_minutes: OptionalMinutes = None
    grading_method: Literal["highest", "average", "first", "last"]
    shuffle_questions: bool = False
    shuffle_answers: bool = False
    questions_per_page: int = Field(ge=0, le=100)
    feedback_timing: Literal["after_submit", "immediate"]
    review_marks: ReviewRule
    review_answers: ReviewRule
    review_feedback: ReviewRule
    open_at: LocalDateTime = None
    close_at: LocalDateTime = None

    @model_validator(mode="after")
    def closes_after_opening(self) -> QuizSettingsForm:
        if self.open_at and self.close_at and self.close_at <= self.open_at:
            raise PydanticCustomError(
                "klasteris_close_before_open", _("The quiz must close after it opens."), {"field": "close_at"}
            )
        return self


class ManualGradeForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    position: int = Field(ge=1, le=10_000)
    mark: Decimal
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
