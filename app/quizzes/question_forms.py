"""The question editor's form models per question type, with Moodle's validation rules, and the labels they use."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from babel.numbers import get_decimal_symbol
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.core.i18n import _, get_locale
from app.quizzes.interchange import (
    Question,
)

QUESTION_LANGUAGES = ("lt", "en")
# The top category's path is "", which in filters means "any category"; forms and addresses call it "/".
TOP_CATEGORY = "/"
# Moodle's grade menu, in percent, as its question forms offer it.
GRADES = (
    "100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333", "30", "25", "20",
    "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0",
)  # fmt: skip
NEGATIVE_GRADES = tuple(f"-{grade}" for grade in reversed(GRADES[:-1]))


@dataclass(frozen=True)
class RowSpec:
    """A type's repeated rows: the inputs are named `<group>-<row>-<field>`; the form shows `minimum` at least."""

    group: str
    fields: tuple[str, ...]
    minimum: int


_ANSWER_FIELDS = ("text", "fraction", "feedback")
ROWS = {
    "single_choice": RowSpec("answers", _ANSWER_FIELDS, 5),
    "multiple_choice": RowSpec("answers", _ANSWER_FIELDS, 5),
    "short_answer": RowSpec("answers", _ANSWER_FIELDS, 3),
    "numerical": RowSpec("answers", ("value", "tolerance", "fraction", "feedback"), 3),
    "matching": RowSpec("pairs", ("prompt", "answer"), 3),
}
SPARE_ROWS = 2  # blank rows under a saved question's answers
ADDED_ROWS = 3  # rows the "more rows" button adds
MAX_ROWS = 50
MAX_TEXT = 50_000
MAX_ROW_TEXT = 5_000
MAX_TITLE = 255
MAX_CATEGORY = 500
MAX_MARK = 1000
_ROW_FIELD = re.compile(r"^(answers|pairs)-(\d{1,2})-([a-z]+)$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d{1,3})?$")
_FULL_MARKS = 1e-6
_question_adapter: TypeAdapter[Question] = TypeAdapter(Question)


# --- names shown for codes -----------------------------------------------------------------------


def type_name(question_type: str) -> str:
    names = {
        "single_choice": _("Single choice"),
        "multiple_choice": _("Multiple choice"),
        "true_false": _("True/false"),
        "short_answer": _("Short answer"),
        "numerical": _("Numerical"),
        "matching": _("Matching"),
        "essay": _("Essay"),
        "description": _("Description"),
    }
    return names.get(question_type, question_type)


def language_label(code: str) -> str:
    names = {"lt": _("Lithuanian"), "en": _("English"), "nb": _("Norwegian")}
    return names.get(code, code)


def text_format_name(text_format: str) -> str:
    names = {
        "moodle": _("Moodle auto-format"),
        "html": _("HTML"),
        "plain": _("plain text"),
        "markdown": _("Markdown"),
    }
    return names.get(text_format, text_format)


def ordered_errors(question_type: str, errors: Mapping[str, str]) -> dict[str, str]:
    """The messages in the order the form shows its fields, for the summary at the top."""
    spec = ROWS.get(question_type)
    shown = ["title", "text", *(_type_fields(question_type) if spec is None else [spec.group])]
    shown += [name for name in _type_fields(question_type) if spec is not None and name != spec.group]
    shown += ["general_feedback", "default_mark", "category", "new_category", "language"]

    def place(name: str) -> tuple[int, int, int]:
        row = _ROW_FIELD.match(name)
        if row and spec is not None and row.group(3) in spec.fields:  # a row's cells follow the rows' own message
            return shown.index(spec.group), 1 + int(row.group(2)), spec.fields.index(row.group(3))
        return shown.index(name) if name in shown else -1, 0, 0  # -1: the form as a whole, first

    return dict(sorted(errors.items(), key=lambda item: place(item[0])))


def category_key(path: str) -> str:
    """A category path as forms and addresses carry it: the top is "/"."""
    return path or TOP_CATEGORY


def category_path(key: str) -> str:
    return "" if key == TOP_CATEGORY else key


def category_label(path: str) -> str:
    return " / ".join(path.split("/")) if path else _("Top of the bank")


def percent_text(fraction: float) -> str:
    """A fraction as the percent a grade menu carries: 0.8333333 -> "83.33333", 1.0 -> "100"."""
    text = format((Decimal(repr(fraction)) * 100).normalize(), "f")
    return "0" if text == "-0" else text


def grade_label(percent: str) -> str:
    return f"{percent.replace('.', get_decimal_symbol(get_locale()))}%"


def number_text(value: float) -> str:
    """A stored number as the form shows it, exactly enough to read back the same value."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


# --- field validators ------------------------------------------------------------------------------


def _invalid(message: str) -> PydanticCustomError:
    # "klasteris_" errors carry a message that is already translated (see app.core.forms).
    return PydanticCustomError("klasteris_invalid", message)


def _clean(value: object) -> str:
    """Browsers send text areas with CRLF line ends; stored texts use LF and no surrounding blanks."""
    text = value if isinstance(value, str) else ""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _required(value: str) -> str:
    if not value:
        raise _invalid(_("This field is required."))
    return value


def _at_most(limit: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if len(value) > limit:
            raise _invalid(_("Enter at most %(count)s characters.", count=limit))
        return value

    return check


def _number(raw: str) -> float:
    text = raw.strip()
    if not _NUMBER.fullmatch(text):
        raise _invalid(_("Enter a number, such as 2.5 or 2,5."))
    number = float(text.replace(",", "."))
    if not math.isfinite(number):
        raise _invalid(_("Enter a smaller number."))
    return number


def _mark(value: object) -> float:
    raw = _clean(value)
    if not raw:
        raise _invalid(_("This field is required."))
    mark = _number(raw)
    if not 0 <= mark <= MAX_MARK:
        raise _invalid(_("Enter a mark from 0 to %(max)s.", max=MAX_MARK))
    return mark


def _grade(value: object, info: ValidationInfo) -> float:
    allowed: Collection[str] = (info.context or {}).get("grades", ())
    raw = value.strip() if isinstance(value, str) else ""
    if raw not in allowed:
        raise _invalid(_("Choose one of the options."))
    return float(Decimal(raw) / 100)


def _answer_value(value: object) -> float | None:
    raw = _clean(value)
    if raw == "*":
        return None  # Moodle's "any other answer"
    if not raw:
        raise _invalid(_("Enter a number, or * for any other answer."))
    return _number(raw)


def _tolerance(value: object) -> float:
    raw = _clean(value)
    if not raw:
        return 0.0
    tolerance = _number(raw)
    if tolerance < 0:
        raise _invalid(_("The tolerance cannot be negative."))
    return tolerance


def _checked(value: object) -> bool:
    return bool(value)


def _language(value: object, info: ValidationInfo) -> str:
    allowed: Collection[str] = (info.context or {}).get("languages", QUESTION_LANGUAGES)
    if not isinstance(value, str) or value not in allowed:
        raise _invalid(_("Choose one of the options."))
    return value


def _new_category(value: object) -> tuple[str, ...]:
    raw = _clean(value)
    # "Unit 1 / Warm-up" is a sub-category; names keep single spaces.
    parts = tuple(" ".join(part.split()) for part in raw.split("/"))
    path = tuple(part for part in parts if part)
    if raw and not path:
        raise _invalid(_("Enter a category name."))
    if len("/".join(path)) > MAX_CATEGORY:
        raise _invalid(_("Enter at most %(count)s characters.", count=MAX_CATEGORY))
    return path


Title = Annotated[str, BeforeValidator(_clean), AfterValidator(_required), AfterValidator(_at_most(MAX_TITLE))]
RequiredText = Annotated[str, BeforeValidator(_clean), AfterValidator(_required), AfterValidator(_at_most(MAX_TEXT))]
OptionalText = Annotated[str, BeforeValidator(_clean), AfterValidator(_at_most(MAX_TEXT))]
RowText = Annotated[str, BeforeValidator(_clean), AfterValidator(_at_most(MAX_ROW_TEXT))]
Mark = Annotated[float, BeforeValidator(_mark)]
Grade = Annotated[float, BeforeValidator(_grade)]
Checkbox = Annotated[bool, BeforeValidator(_checked)]


# --- the forms -------------------------------------------------------------------------------------


class FormBase(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AnswerRow(FormBase):
    text: RowText
    fraction: Grade
    feedback: RowText = ""

    @field_validator("text")
    @classmethod
    def _text_given(cls, text: str) -> str:
        if not text:
            raise _invalid(_("Enter the answer, or clear this row's feedback."))
        return text


class NumericalRow(FormBase):
    value: Annotated[float | None, BeforeValidator(_answer_value)]
    tolerance: Annotated[float, BeforeValidator(_tolerance)] = 0.0
    fraction: Grade
    feedback: RowText = ""

    @model_validator(mode="after")
    def _any_other_answer_has_no_tolerance(self) -> NumericalRow:
        if self.value is None:
            self.tolerance = 0.0  # whatever was typed beside the `*`
        return self


class PairRow(FormBase):
    prompt: RowText = ""  # empty: a distractor, an answer that matches no question
    answer: RowText

    @field_validator("answer")
    @classmethod
    def _answer_given(cls, answer: str) -> str:
        if not answer:
            raise _invalid(_("Enter the matching answer."))
        return answer


class QuestionForm(FormBase):
    """What every type's form has. Rows arrive keyed by their row number, so errors name the right row."""

    title: Title
    text: RequiredText
    general_feedback: OptionalText = ""
    default_mark: Mark = 1.0
    language: Annotated[str, BeforeValidator(_language)]
    # Before `category`, whose check it decides: a new category makes the select irrelevant.
    new_category: Annotated[tuple[str, ...], BeforeValidator(_new_category)] = ()
    category: tuple[str, ...] = ()
    # Fields the type's form does not show: their model defaults apply, and the question keeps its own.
    not_shown: ClassVar[frozenset[str]] = frozenset()

    @field_validator("category", mode="before")
    @classmethod
    def _known_category(cls, value: object, info: ValidationInfo) -> tuple[str, ...]:
        if info.data.get("new_category"):
            return ()
        known: Collection[str] = (info.context or {}).get("categories", (TOP_CATEGORY,))
        if not isinstance(value, str) or value not in known:
            raise _invalid(_("Choose one of the options."))
        path = category_path(value)
        return tuple(path.split("/")) if path else ()

    @property
    def chosen_category(self) -> tuple[str, ...]:
        return self.new_category or self.category

    def content(self) -> dict[str, Any]:
        """The interchange fields this form sets; rows become lists, in row order."""
        data = self.model_dump(exclude={"language", "new_category", "category", *self.not_shown})
        return {name: list(value.values()) if isinstance(value, dict) else value for name, value in data.items()}


def _worth_full_marks(fractions: Collection[float]) -> bool:
    return any(abs(fraction - 1.0) < _FULL_MARKS for fraction in fractions)


class SingleChoiceForm(QuestionForm):
    answers: dict[int, AnswerRow] = {}
    shuffle_answers: Checkbox = False

    @field_validator("answers")
    @classmethod
    def _one_right_answer(cls, answers: dict[int, AnswerRow]) -> dict[int, AnswerRow]:
        if len(answers) < 2:
            raise _invalid(_("Enter at least two answers."))
        if not _worth_full_marks([answer.fraction for answer in answers.values()]):
            raise _invalid(_("One answer must be worth 100%."))
        return answers


class MultipleChoiceForm(SingleChoiceForm):
    @field_validator("answers")
    @classmethod
    def _one_right_answer(cls, answers: dict[int, AnswerRow]) -> dict[int, AnswerRow]:
        if len(answers) < 2:
            raise _invalid(_("Enter at least two answers."))
        positive = math.fsum(answer.fraction for answer in answers.values() if answer.fraction > 0)
        # Three answers at 33.33333% add up to 99.99999%: Moodle accepts that, and so do we.
        if abs(positive - 1.0) > 0.0001:
            total = grade_label(percent_text(round(positive, 7)))
            raise _invalid(_("The positive grades must add up to 100%%; now they add up to %(total)s.", total=total))
        return answers


class TrueFalseForm(QuestionForm):
    correct: bool
    feedback_true: OptionalText = ""
    feedback_false: OptionalText = ""

    @field_validator("correct", mode="before")
    @classmethod
    def _true_or_false(cls, value: object) -> bool:
        if value not in ("true", "false"):
            raise _invalid(_("Choose the correct answer."))
        return value == "true"


class ShortAnswerForm(QuestionForm):
    answers: dict[int, AnswerRow] = {}
    case_sensitive: Checkbox = False

    @field_validator("answers")
    @classmethod
    def _one_full_answer(cls, answers: dict[int, AnswerRow]) -> dict[int, AnswerRow]:
        if not answers:
            raise _invalid(_("Enter at least one accepted answer."))
        if not _worth_full_marks([answer.fraction for answer in answers.values()]):
            raise _invalid(_("One answer must be worth 100%."))
        return answers


class NumericalForm(QuestionForm):
    answers: dict[int, NumericalRow] = {}

    @field_validator("answers")
    @classmethod
    def _one_full_answer(cls, answers: dict[int, NumericalRow]) -> dict[int, NumericalRow]:
        if not any(answer.value is not None for answer in answers.values()):
            raise _invalid(_("Enter at least one number as an answer."))
        if not _worth_full_marks([answer.fraction for answer in answers.values()]):
            raise _invalid(_("One answer must be worth 100%."))
        return answers


class MatchingForm(QuestionForm):
    pairs: dict[int, PairRow] = {}
    shuffle_answers: Checkbox = False

    @field_validator("pairs")
    @classmethod
    def _two_pairs(cls, pairs: dict[int, PairRow]) -> dict[int, PairRow]:
        if sum(1 for pair in pairs.values() if pair.prompt) < 2:
            raise _invalid(_("Enter at least two questions, each with its matching answer."))
        return pairs


class EssayForm(QuestionForm):
    grader_info: OptionalText = ""
    response_template: OptionalText = ""


class DescriptionForm(QuestionForm):
    """Only text: a description has no marks and no feedback."""

    text: OptionalText = ""
    not_shown: ClassVar[frozenset[str]] = frozenset({"general_feedback", "default_mark"})


FORMS: dict[str, type[QuestionForm]] = {
    "single_choice": SingleChoiceForm,
    "multiple_choice": MultipleChoiceForm,
    "true_false": TrueFalseForm,
    "short_answer": ShortAnswerForm,
    "numerical": NumericalForm,
    "matching": MatchingForm,
    "essay": EssayForm,
    "description": DescriptionForm,
}


def _type_fields(question_type: str) -> list[str]:
    """The fields a type's form adds to the common ones, in the form's order."""
    return [name for name in FORMS[question_type].model_fields if name not in QuestionForm.model_fields]
