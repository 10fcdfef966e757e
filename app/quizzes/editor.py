"""The question bank's forms: a question to editor fields and back (validated by question_forms), import, export."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    Field,
    ValidationError,
)

from app.core.forms import FORM_ERROR_KEY, FormInvalid
from app.core.i18n import _
from app.quizzes.interchange import (
    Essay,
    Matching,
    MultipleChoice,
    Numerical,
    Question,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)
from app.quizzes.question_forms import (
    _ROW_FIELD,
    FORMS,
    GRADES,
    MAX_CATEGORY,
    MAX_ROWS,
    NEGATIVE_GRADES,
    QUESTION_LANGUAGES,
    ROWS,
    FormBase,
    _question_adapter,
    category_key,
    grade_label,
    number_text,
    percent_text,
)

# --- form <-> question -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EditedQuestion:
    """A valid submission: the question's content, and where in the bank it goes."""

    question: Question
    category: tuple[str, ...]
    language: str


def posted_rows(question_type: str, values: Mapping[str, str]) -> dict[int, dict[str, str]]:
    """The submitted rows by row number (all of them, blank ones included), every field present."""
    spec = ROWS.get(question_type)
    rows: dict[int, dict[str, str]] = {}
    for name, value in values.items():
        match = _ROW_FIELD.match(name)
        if spec and match and match.group(1) == spec.group and match.group(3) in spec.fields:
            if int(match.group(2)) < MAX_ROWS:
                rows.setdefault(int(match.group(2)), dict.fromkeys(spec.fields, ""))[match.group(3)] = value
    return dict(sorted(rows.items()))


def _is_blank(row: Mapping[str, str]) -> bool:
    # The grade alone does not make a row: blank rows keep the menu's default.
    return not any(value.strip() for name, value in row.items() if name != "fraction")


def grade_values(question_type: str, existing: Question | None = None) -> list[str]:
    """The grades a form offers: Moodle's menu, plus any other grade the saved question already has."""
    offered = list(GRADES) + (list(NEGATIVE_GRADES) if question_type == "multiple_choice" else [])
    answers = getattr(existing, "answers", ()) if existing is not None else ()
    offered += [percent for percent in {percent_text(answer.fraction) for answer in answers} if percent not in offered]
    return sorted(offered, key=Decimal, reverse=True)


def grade_choices(question_type: str, existing: Question | None = None) -> list[tuple[str, str]]:
    return [(percent, grade_label(percent)) for percent in grade_values(question_type, existing)]


def _field_errors(error: ValidationError) -> dict[str, str]:
    """Messages by form field name: a row's field is named like its input, e.g. "answers-2-fraction"."""
    errors: dict[str, str] = {}
    for detail in error.errors():
        name = "-".join(str(part) for part in detail["loc"]) or FORM_ERROR_KEY
        message = detail["msg"] if detail["type"].startswith("klasteris_") else _("This value is not valid.")
        errors.setdefault(name, message)
    return errors


def parse_question_form(
    question_type: str,
    values: Mapping[str, str],
    *,
    categories: Collection[str],
    languages: Collection[str] = QUESTION_LANGUAGES,
    existing: Question | None = None,
) -> EditedQuestion:
    """Validate a submitted question form. Raises FormInvalid with a message per field name."""
    form_class = FORMS[question_type]
    # Every shown field is given (a missing one reads as empty, like an unticked box); rows without text are left out.
    submitted: dict[str, Any] = {
        name: values.get(name, "") for name in form_class.model_fields if name not in form_class.not_shown
    }
    spec = ROWS.get(question_type)
    if spec is not None:
        rows = posted_rows(question_type, values)
        submitted[spec.group] = {index: row for index, row in rows.items() if not _is_blank(row)}
    context = {
        "categories": {category_key(path) for path in categories},
        "languages": set(languages),
        "grades": set(grade_values(question_type, existing)),
    }
    try:
        form = form_class.model_validate(submitted, context=context)
    except ValidationError as error:
        raise FormInvalid(_field_errors(error)) from error
    category = form.chosen_category
    if existing is not None and "/".join(existing.category) == "/".join(category):
        category = existing.category  # unchanged: keep the saved path exactly
    # Editing keeps what the form does not show: text format, id number, tags, the type itself.
    data: dict[str, Any] = (
        existing.model_dump(mode="json") if existing else {"type": question_type, "text_format": "markdown"}
    )
    data.update(form.content(), category=category)
    try:
        question = _question_adapter.validate_python(data)
    except ValidationError as error:
        raise FormInvalid(
            {FORM_ERROR_KEY: _("The question could not be saved. Check the answers and try again.")}
        ) from error
    return EditedQuestion(question=question, category=category, language=form.language)


def blank_values(question_type: str, *, language: str, category: str = "") -> dict[str, str]:
    """A new question's form: full marks of 1, answers shuffled, every row graded 0%."""
    values = {"default_mark": "1", "language": language, "category": category_key(category)}
    if question_type in ("single_choice", "multiple_choice", "matching"):
        values["shuffle_answers"] = "1"
    if question_type == "true_false":
        values["correct"] = "true"
    return values


def question_values(question: Question, *, language: str, category: str) -> dict[str, str]:
    """A saved question as its form shows it."""
    values = {
        "title": question.title,
        "text": question.text,
        "general_feedback": question.general_feedback,
        "default_mark": number_text(question.default_mark),
        "language": language,
        "category": category_key(category),
    }
    if getattr(question, "shuffle_answers", False):
        values["shuffle_answers"] = "1"
    if isinstance(question, SingleChoice | MultipleChoice | ShortAnswer):
        for index, answer in enumerate(question.answers):
            values[f"answers-{index}-text"] = answer.text
            values[f"answers-{index}-fraction"] = percent_text(answer.fraction)
            values[f"answers-{index}-feedback"] = answer.feedback
        if isinstance(question, ShortAnswer) and question.case_sensitive:
            values["case_sensitive"] = "1"
    elif isinstance(question, Numerical):
        for index, number in enumerate(question.answers):
            values[f"answers-{index}-value"] = "*" if number.value is None else number_text(number.value)
            values[f"answers-{index}-tolerance"] = "" if number.value is None else number_text(number.tolerance)
            values[f"answers-{index}-fraction"] = percent_text(number.fraction)
            values[f"answers-{index}-feedback"] = number.feedback
    elif isinstance(question, Matching):
        for index, pair in enumerate(question.pairs):
            values[f"pairs-{index}-prompt"] = pair.prompt
            values[f"pairs-{index}-answer"] = pair.answer
    elif isinstance(question, TrueFalse):
        values.update(
            correct="true" if question.correct else "false",
            feedback_true=question.feedback_true,
            feedback_false=question.feedback_false,
        )
    elif isinstance(question, Essay):
        values.update(grader_info=question.grader_info, response_template=question.response_template)
    return values


def rows_to_show(question_type: str, values: Mapping[str, str], *, extra: int = 0) -> int:
    """How many rows the form renders: the rows in use plus `extra`, at least the type's minimum."""
    spec = ROWS.get(question_type)
    if spec is None:
        return 0
    used = max((index + 1 for index in posted_rows(question_type, values)), default=0)
    return min(MAX_ROWS, max(spec.minimum, used + extra))


# --- import and export -----------------------------------------------------------------------------


class ImportForm(FormBase):
    file_format: Literal["auto", "gift", "xml"] = Field(alias="format")
    language: Literal["lt", "en"]


class ExportQuery(FormBase):
    file_format: Literal["gift", "xml"] = Field(default="gift", alias="format")
    language: Literal["", "lt", "en"] = ""
    category: str = Field(default="", max_length=MAX_CATEGORY)  # "": every category
