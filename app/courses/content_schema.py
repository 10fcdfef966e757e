"""Pydantic models of the content files; unknown keys are errors, so typos never pass silently."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
CourseCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}[0-9]{1,3}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localised(Strict):
    lt: Text
    en: Text
    nb: Text | None = None

    def as_dict(self) -> dict[str, str]:
        return {locale: text for locale, text in self.model_dump().items() if text}


class LocalisedList(Strict):
    lt: list[Text] = Field(min_length=1)
    en: list[Text] = Field(min_length=1)
    nb: list[Text] | None = None

    def as_dict(self) -> dict[str, list[str]]:
        return {locale: items for locale, items in self.model_dump().items() if items}


class ProgrammeEntry(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")]
    slug: Slug
    title: Localised
    description: Localised
    issuer: Localised | None = None  # the institution named on the programme's certificates


class ProgrammesFile(Strict):
    programmes: list[ProgrammeEntry] = Field(min_length=1)


class CompetencyTarget(Strict):
    """A level of a competency that completing the course attains; with `min_grade`, only at that quiz grade."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9.-]*$")]
    level: int = Field(ge=1, le=3)
    min_grade: int | None = Field(default=None, ge=0, le=100, description="quiz grade in percent")


class CompletionRules(Strict):
    """What completing the course requires; administrators may change it in the application later."""

    lessons: bool = True  # every lesson marked complete
    quiz: bool | None = None  # the course quiz passed (grade at least the pass mark); unset: when there is a quiz
    attendance: bool = False  # attended a training event linked to the course (marked "attended" by a trainer)


class QuizSettings(Strict):
    pass_mark: int = Field(ge=0, le=100)
    attempts: int = Field(ge=0, description="0 means unlimited")
    time_limit_minutes: int | None = Field(default=None, ge=1)


class SectionEntry(Strict):
    slug: Slug
    title: Localised
    lessons: list[Slug] = Field(min_length=1)


class CourseFile(Strict):
    code: CourseCode
    programme: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")]
    title: Localised
    summary: Localised
    outcomes: LocalisedList
    hours: int = Field(ge=1, le=200)
    competencies: list[CompetencyTarget] = Field(default_factory=list)
    sections: list[SectionEntry] = Field(min_length=1)
    quiz: QuizSettings | None = None
    completion: CompletionRules | None = None

    @model_validator(mode="after")
    def _completion_needs_what_exists(self) -> CourseFile:
        if self.completion is not None:
            rules = self.completion_rules()
            if not (rules["lessons"] or rules["quiz"] or rules.get("attendance")):
                raise ValueError("completion must require the lessons, the quiz or attendance")
            if self.completion.quiz and self.quiz is None:
                raise ValueError("completion requires a quiz but the course has no quiz settings")
        return self

    def completion_rules(self) -> dict[str, bool]:
        """The rules in force: the file's, else every lesson plus the quiz when there is one."""
        if self.completion is not None:
            quiz = self.completion.quiz if self.completion.quiz is not None else self.quiz is not None
            rules = {"lessons": self.completion.lessons, "quiz": quiz}
            # Only when asked for: the rules' fingerprint of files without it stays what it was.
            if self.completion.attendance:
                rules["attendance"] = True
            return rules
        return {"lessons": True, "quiz": self.quiz is not None}


class LessonFrontMatter(Strict):
    title: Text
    minutes: int = Field(ge=1, le=600)


class LevelIndicators(Strict):
    lt: list[Text] = Field(min_length=1)
    en: list[Text] = Field(min_length=1)
    nb: list[Text] | None = None


class Competency(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]$")]
    title: Localised
    description: Localised
    levels: dict[int, LevelIndicators]  # 1 awareness, 2 practitioner, 3 leader: observable indicators


class CompetencyArea(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
    title: Localised
    description: Localised
    competencies: list[Competency] = Field(min_length=1)


class ProficiencyLevel(Strict):
    level: int = Field(ge=1, le=3)
    title: Localised
    description: Localised


class CompetencyModelFile(Strict):
    title: Localised
    description: Localised
    levels: list[ProficiencyLevel] = Field(min_length=3, max_length=3)
    areas: list[CompetencyArea] = Field(min_length=1)


class GlossaryEntry(Strict):
    slug: Slug
    term: Localised
    definition: Localised


class GlossaryFile(Strict):
    terms: list[GlossaryEntry] = Field(min_length=1)
