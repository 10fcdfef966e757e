"""The format-neutral question model that the GIFT and Moodle XML readers produce and the writers consume.

Fractions are Moodle's: 1.0 is full marks for an answer, 0.5 half, negative values take marks away
(multiple-response). Texts keep their source markup; `text_format` says which it is.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

TextFormat = Literal["moodle", "html", "plain", "markdown"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Answer(Frozen):
    text: str
    fraction: float = Field(ge=-1.0, le=1.0)
    feedback: str = ""


class NumericalAnswer(Frozen):
    """Accepts value ± tolerance. A GIFT range {#1..5} becomes value 3, tolerance 2.

    `value` None is Moodle's "any other answer" (`*`), which only carries feedback.
    """

    value: float | None
    tolerance: float = Field(default=0.0, ge=0.0)
    fraction: float = Field(default=1.0, ge=-1.0, le=1.0)
    feedback: str = ""


class MatchPair(Frozen):
    """One row to match. An empty `prompt` is a distractor: an extra answer that matches nothing."""

    prompt: str
    answer: str


class QuestionBase(Frozen):
    title: str = ""
    text: str = ""
    text_format: TextFormat = "moodle"
    general_feedback: str = ""
    default_mark: float = Field(default=1.0, ge=0.0)
    # Category path below the course's top category, e.g. ("Unit 1", "Warm-up"); empty: the top.
    category: tuple[str, ...] = ()
    idnumber: str | None = None
    tags: tuple[str, ...] = ()


class SingleChoice(QuestionBase):
    type: Literal["single_choice"] = "single_choice"
    answers: tuple[Answer, ...] = Field(min_length=2)
    shuffle_answers: bool = True


class MultipleChoice(QuestionBase):
    """Several answers may be chosen; their fractions add up, and a total below zero counts as zero."""

    type: Literal["multiple_choice"] = "multiple_choice"
    answers: tuple[Answer, ...] = Field(min_length=2)
    shuffle_answers: bool = True


class TrueFalse(QuestionBase):
    type: Literal["true_false"] = "true_false"
    correct: bool
    feedback_true: str = ""  # shown to someone who answered "true"
    feedback_false: str = ""  # shown to someone who answered "false"


class ShortAnswer(QuestionBase):
    """Typed answers; `*` in an accepted answer matches any run of characters."""

    type: Literal["short_answer"] = "short_answer"
    answers: tuple[Answer, ...] = Field(min_length=1)
    case_sensitive: bool = False


class Numerical(QuestionBase):
    type: Literal["numerical"] = "numerical"
    answers: tuple[NumericalAnswer, ...] = Field(min_length=1)


class Matching(QuestionBase):
    type: Literal["matching"] = "matching"
    pairs: tuple[MatchPair, ...] = Field(min_length=2)
    shuffle_answers: bool = True


class Essay(QuestionBase):
    """Answered in free text and graded by a trainer."""

    type: Literal["essay"] = "essay"
    grader_info: str = ""
    response_template: str = ""


class Description(QuestionBase):
    """Text shown between questions; it has no answer and no marks."""

    type: Literal["description"] = "description"
    default_mark: float = 0.0


Question = Annotated[
    SingleChoice | MultipleChoice | TrueFalse | ShortAnswer | Numerical | Matching | Essay | Description,
    Field(discriminator="type"),
]
QUESTION_TYPES = (
    "single_choice",
    "multiple_choice",
    "true_false",
    "short_answer",
    "numerical",
    "matching",
    "essay",
    "description",
)


class ImportIssue(Frozen):
    """Why a question was skipped or changed on import; `line` is the first line of its block in the file."""

    message: str
    line: int | None = None
    title: str = ""
    skipped: bool = True


class ImportReport(Frozen):
    questions: tuple[Question, ...] = ()
    issues: tuple[ImportIssue, ...] = ()
    # Line of each imported question's block (GIFT) or its position in the file (XML), parallel to questions.
    lines: tuple[int, ...] = ()


class ParseError(Exception):
    """The file as a whole cannot be read (not a question-level problem): nothing is imported."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message = message
        self.line = line
