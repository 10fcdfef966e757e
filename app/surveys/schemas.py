"""Form models of the survey pages: a survey's wording, a question, attaching, the results period."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from app.core.forms import ChoiceId, OptionalDay
from app.core.i18n import _
from app.surveys.models import QuestionKind

MAX_COMMENT_LENGTH = 4000

Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Introduction = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
QuestionText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


def _ticked(value: object) -> object:
    # A tick box sends "on" when ticked and nothing otherwise.
    return value in ("on", "true", "1", True)


class SurveyForm(BaseModel):
    """A survey's title and introduction in Lithuanian and English (a title in at least one)."""

    model_config = ConfigDict(extra="ignore")

    title_lt: Title = ""
    title_en: Title = ""
    introduction_lt: Introduction = ""
    introduction_en: Introduction = ""

    @model_validator(mode="after")
    def needs_a_title(self) -> SurveyForm:
        if not (self.title_lt or self.title_en):
            raise PydanticCustomError(
                "klasteris_title", _("Enter a title in at least one language."), {"field": "title_lt"}
            )
        return self

    @property
    def title(self) -> dict[str, str]:
        return {key: value for key, value in (("lt", self.title_lt), ("en", self.title_en)) if value}

    @property
    def introduction(self) -> dict[str, str]:
        pairs = (("lt", self.introduction_lt), ("en", self.introduction_en))
        return {key: value for key, value in pairs if value}


class QuestionForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: QuestionKind
    text_lt: QuestionText = ""
    text_en: QuestionText = ""
    required: Annotated[bool, BeforeValidator(_ticked)] = False

    @model_validator(mode="after")
    def needs_a_text(self) -> QuestionForm:
        if not (self.text_lt or self.text_en):
            raise PydanticCustomError(
                "klasteris_question", _("Enter the question in at least one language."), {"field": "text_lt"}
            )
        return self

    @property
    def text(self) -> dict[str, str]:
        return {key: value for key, value in (("lt", self.text_lt), ("en", self.text_en)) if value}


class MoveDirection(StrEnum):
    UP = "up"
    DOWN = "down"


class MoveForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    direction: MoveDirection


class AttachForm(BaseModel):
    """Attach to an event or to a course: one of the two selects (the other left empty)."""

    model_config = ConfigDict(extra="ignore")

    event_id: ChoiceId = None
    course_id: ChoiceId = None

    @model_validator(mode="after")
    def exactly_one(self) -> AttachForm:
        if (self.event_id is None) == (self.course_id is None):
            raise PydanticCustomError(
                "klasteris_target", _("Choose either an event or a course."), {"field": "event_id"}
            )
        return self


class ResultsQuery(BaseModel):
    """The results page's period (?from=…&to=…), both days included; blank ends are open."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    date_from: OptionalDay = Field(default=None, alias="from")
    date_to: OptionalDay = Field(default=None, alias="to")

    @model_validator(mode="after")
    def period_in_order(self) -> ResultsQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PydanticCustomError(
                "klasteris_period", _("The end date must not be before the start date."), {"field": "to"}
            )
        return self
