"""Deterministic, side-effect-free grading of one response to one question, modelled on Moodle's question types.

Fractions are rounded to 7 decimals (Moodle's stored precision) and values within 1e-6 of 0 or 1 snap to
the end, because authors write thirds as 33.33333% and a learner who chose every right answer is correct.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from app.quizzes.interchange import (
    Description,
    Essay,
    Matching,
    MultipleChoice,
    Numerical,
    NumericalAnswer,
    Question,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)

GradeState = Literal["correct", "partial", "incorrect", "unanswered", "needs_grading", "not_graded"]
GradingMethod = Literal["highest", "average", "first", "last"]

# What the learner gave, per question type:
SingleChoiceResponse = int | None  # index into `answers`
MultipleChoiceResponse = AbstractSet[int] | None  # indexes into `answers`, normally a frozenset
TrueFalseResponse = bool | None
ShortAnswerResponse = str | None
NumericalResponse = str | None  # raw text as typed, parsed here
# Index into `pairs` (distractor positions are ignored) -> the chosen answer *text*, one of `matching_choices()`.
# Text rather than an index because two prompts may share an answer and Moodle offers it only once.
MatchingResponse = Mapping[int, str | None] | None
EssayResponse = str | None
Response = int | bool | str | AbstractSet[int] | Mapping[int, str | None] | None

FRACTION_DIGITS = 7
# Moodle's question_state::graded_state_for_fraction uses the same margin.
_SNAP_MARGIN = 1e-6
# Relative slack for the numerical tolerance check: a typed 0.3 must still be within 0.1 of 0.2.
_NUMERICAL_EPSILON = 1e-9
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
# An unescaped run of asterisks is the wildcard; `\*` is a literal asterisk, as in Moodle.
_WILDCARD = re.compile(r"(?<!\\)\*+")


@dataclass(frozen=True, slots=True)
class Grade:
    """The outcome of grading one response: `fraction` is None when a person must grade or nothing is graded."""

    fraction: float | None
    feedback: tuple[str, ...]
    state: GradeState


def grade(question: Question, response: Response) -> Grade:
    """Grade `response` (see the `*Response` aliases for what each question type expects)."""
    match question:
        case SingleChoice():
            return _grade_single_choice(question, response)
        case MultipleChoice():
            return _grade_multiple_choice(question, response)
        case TrueFalse():
            return _grade_true_false(question, response)
        case ShortAnswer():
            return _grade_short_answer(question, response)
        case Numerical():
            return _grade_numerical(question, response)
        case Matching():
            return _grade_matching(question, response)
        case Essay():
            return _grade_essay(response)
        case Description():
            return Grade(fraction=None, feedback=(), state="not_graded")
    raise TypeError(f"cannot grade a {type(question).__name__}")


def mark(grade: Grade, default_mark: float) -> float | None:
    """The marks earned: fraction × the question's mark, or None while there is no fraction."""
    if grade.fraction is None:
        return None
    return round(grade.fraction * default_mark, FRACTION_DIGITS)


def overall_grade(attempt_grades: Sequence[float | None], method: GradingMethod) -> float | None:
    """Combine the grades of several attempts; None entries (not yet graded) are skipped by every method."""
    graded = [attempt_grade for attempt_grade in attempt_grades if attempt_grade is not None]
    if method not in ("highest", "average", "first", "last"):
        raise ValueError(f"unknown grading method {method!r}")
    if not graded:
        return None
    if method == "highest":
        return max(graded)
    if method == "average":
        return round(math.fsum(graded) / len(graded), FRACTION_DIGITS)
    return graded[0] if method == "first" else graded[-1]


def parse_number(text: str) -> float | None:
    """Read a typed number: `.` or `,` as the decimal mark, any spaces, a sign, an exponent; None if it is not one."""
    # Spaces (including no-break ones) group thousands in Lithuanian and Norwegian: "1 234,5".
    compact = "".join(text.split()).replace("\u2212", "-")
    if not _NUMBER.fullmatch(compact):
        return None
    value = float(compact.replace(",", "."))
    return value if math.isfinite(value) else None


def matching_choices(question: Matching) -> tuple[str, ...]:
    """The distinct answers offered in a matching question (distractors included), in first-seen order."""
    return tuple(dict.fromkeys(pair.answer for pair in question.pairs))


def _settle(fraction: float) -> float:
    """Clamp to 0..1, round to Moodle's precision and snap values a rounding error away from either end."""
    settled = round(min(max(fraction, 0.0), 1.0), FRACTION_DIGITS)
    if settled > 1.0 - _SNAP_MARGIN:
        return 1.0
    if settled < _SNAP_MARGIN:
        return 0.0
    return settled


def _graded(fraction: float, feedback: Sequence[str] = ()) -> Grade:
    """A grade for an answered question; empty feedback texts are dropped."""
    settled = _settle(fraction)
    state: GradeState = "correct" if settled == 1.0 else "partial" if settled > 0.0 else "incorrect"
    return Grade(fraction=settled, feedback=tuple(text for text in feedback if text), state=state)


def _unanswered() -> Grade:
    return Grade(fraction=0.0, feedback=(), state="unanswered")


def _expect(response: Response, kind: type, question_type: str) -> None:
    """Reject a response of the wrong shape: that is a caller's bug, not a learner's answer."""
    # bool is an int subclass, so True must not pass as answer index 1.
    if response is None or (isinstance(response, kind) and (kind is bool or not isinstance(response, bool))):
        return
    raise TypeError(f"a {question_type} response cannot be a {type(response).__name__}")


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _grade_single_choice(question: SingleChoice, response: Response) -> Grade:
    _expect(response, int, "single choice")
    # An index that names no answer (a tampered form) earns nothing, and -1 must not wrap to the last answer.
    if response is None or not 0 <= response < len(question.answers):
        return _unanswered()
    chosen = question.answers[response]
    return _graded(chosen.fraction, (chosen.feedback,))


def _grade_multiple_choice(question: MultipleChoice, response: Response) -> Grade:
    _expect(response, AbstractSet, "multiple choice")
    if not all(_is_index(index) for index in response or ()):
        raise TypeError("a multiple choice response holds answer indexes")
    chosen = sorted(index for index in response or () if 0 <= index < len(question.answers))
    if not chosen:
        return _unanswered()
    answers = [question.answers[index] for index in chosen]
    # The sum is clamped only at the end, so negative wrong answers cancel the marks of ticking everything.
    total = math.fsum(answer.fraction for answer in answers)
    return _graded(total, [answer.feedback for answer in answers])


def _grade_true_false(question: TrueFalse, response: Response) -> Grade:
    _expect(response, bool, "true/false")
    if response is None:
        return _unanswered()
    feedback = question.feedback_true if response else question.feedback_false
    return _graded(1.0 if response == question.correct else 0.0, (feedback,))


def _normalise_text(text: str) -> str:
    """NFC (so a decomposed Š equals a composed one), trimmed, inner whitespace collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@lru_cache(maxsize=1024)
def _accepted_pattern(accepted: str, case_sensitive: bool) -> re.Pattern[str]:
    """Compile an accepted short answer: `*` runs become `.*`, everything else is literal."""
    literals = _WILDCARD.split(_normalise_text(accepted))
    escaped = []
    for literal in literals:
        literal = literal.replace("\\*", "*")
        escaped.append(re.escape(literal if case_sensitive else literal.casefold()))
    return re.compile(".*".join(escaped), re.DOTALL)


def _grade_short_answer(question: ShortAnswer, response: Response) -> Grade:
    _expect(response, str, "short answer")
    typed = _normalise_text(response or "")
    if not typed:
        return _unanswered()
    candidate = typed if question.case_sensitive else typed.casefold()
    for accepted in question.answers:
        if _accepted_pattern(accepted.text, question.case_sensitive).fullmatch(candidate):
            return _graded(accepted.fraction, (accepted.feedback,))
    return _graded(0.0)


def _within_tolerance(value: float, answer: NumericalAnswer) -> bool:
    if answer.value is None:
        return False
    slack = _NUMERICAL_EPSILON * max(abs(answer.value), answer.tolerance)
    return abs(value - answer.value) <= answer.tolerance + slack


def _grade_numerical(question: Numerical, response: Response) -> Grade:
    _expect(response, str, "numerical")
    if response is None or not response.strip():
        return _unanswered()
    value = parse_number(response)
    if value is None:
        # Something was typed, so it is a wrong answer rather than a missing one (Moodle's gradedwrong).
        return _graded(0.0)
    for answer in question.answers:
        if _within_tolerance(value, answer):
            return _graded(answer.fraction, (answer.feedback,))
    # "Any other answer" is a fallback wherever the author placed it.
    for answer in question.answers:
        if answer.value is None:
            return _graded(answer.fraction, (answer.feedback,))
    return _graded(0.0)


def _grade_matching(question: Matching, response: Response) -> Grade:
    _expect(response, Mapping, "matching")
    prompts = {index: pair.answer for index, pair in enumerate(question.pairs) if pair.prompt.strip()}
    if not prompts:
        raise ValueError("a matching question needs at least one prompt")
    if any(chosen is not None and not isinstance(chosen, str) for chosen in (response or {}).values()):
        raise TypeError("a matching response maps prompt indexes to answer texts")
    given = {index: chosen for index, chosen in (response or {}).items() if index in prompts and chosen}
    if not given:
        return _unanswered()
    right = sum(1 for index, chosen in given.items() if chosen == prompts[index])
    return _graded(right / len(prompts))


def _grade_essay(response: Response) -> Grade:
    _expect(response, str, "essay")
    # A blank essay is "not answered" and counts as 0, as in Moodle, so trainers are not asked to grade it.
    if response is None or not response.strip():
        return _unanswered()
    return Grade(fraction=None, feedback=(), state="needs_grading")
