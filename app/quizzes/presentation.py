"""View models of questions for the attempt, review and preview pages: what to show, and what to keep hidden."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from app.core.i18n import _
from app.core.markdown import clean_html, render_markdown
from app.quizzes.grading import grade, matching_choices
from app.quizzes.interchange import (
    Description,
    Essay,
    Matching,
    MultipleChoice,
    Numerical,
    Question,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)
from app.quizzes.responses import form_values, grading_response


def question_html(text: str, text_format: str) -> Markup:
    """Question and feedback texts in their source format, always sanitised."""
    if not text.strip():
        return Markup("")
    if text_format == "html":
        return Markup(clean_html(text))
    if text_format == "plain":
        return Markup("<p>") + escape(text).replace("\n", Markup("<br>")) + Markup("</p>")
    # Moodle's own format and Markdown are both read as Markdown: plain paragraphs stay paragraphs.
    return Markup(render_markdown(text))


def inline_html(text: str, text_format: str) -> Markup:
    """A short text (an answer, a matching prompt) without a wrapping paragraph."""
    html = question_html(text, text_format)
    stripped = str(html).strip()
    if stripped.startswith("<p>") and stripped.endswith("</p>") and stripped.count("<p>") == 1:
        return Markup(stripped[3:-4])
    return html


@dataclass(frozen=True)
class Option:
    value: str  # the displayed position, which is what the form sends
    label: Markup
    selected: bool
    is_right: bool | None = None  # only filled when correct answers may be shown
    feedback: Markup = Markup("")


@dataclass(frozen=True)
class MatchRow:
    field_name: str
    prompt: Markup
    selected: str
    right_answer: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the review shows about one answer, each part only when the review rules allow it."""

    state: str
    state_text: str
    mark: float | None
    max_mark: float
    feedback: tuple[Markup, ...] = ()
    general_feedback: Markup = Markup("")
    right_answer: str = ""
    comment: str = ""


@dataclass
class QuestionView:
    position: int
    number: int | None  # None for text-only descriptions
    kind: str
    field_name: str
    text: Markup
    max_mark: float
    answered: bool
    locked: bool = False
    options: list[Option] = field(default_factory=list)
    match_rows: list[MatchRow] = field(default_factory=list)
    match_choices: list[tuple[str, str]] = field(default_factory=list)
    typed: str = ""
    outcome: Outcome | None = None


def _right_answer_text(question: Question) -> str:
    match question:
        case SingleChoice() | MultipleChoice():
            return "; ".join(answer.text for answer in question.answers if answer.fraction > 0)
        case TrueFalse():
            return _("True") if question.correct else _("False")
        case ShortAnswer():
            return "; ".join(answer.text for answer in question.answers if answer.fraction >= 1.0)
        case Numerical():
            parts = []
            for answer in question.answers:
                if answer.value is not None and answer.fraction >= 1.0:
                    parts.append(f"{answer.value:g}" + (f" ± {answer.tolerance:g}" if answer.tolerance else ""))
            return "; ".join(parts)
        case Matching():
            return "; ".join(f"{pair.prompt} → {pair.answer}" for pair in question.pairs if pair.prompt.strip())
    return ""


@dataclass(frozen=True)
class Disclosure:
    """Which parts of the grading a page may show."""

    marks: bool = False
    correct_answers: bool = False
    feedback: bool = False

    @property
    def any(self) -> bool:
        return self.marks or self.correct_answers or self.feedback


HIDDEN = Disclosure()


def question_view(
    question: Question,
    *,
    position: int,
    number: int | None,
    order: dict[str, list[int]],
    stored: Any,
    max_mark: float,
    disclosure: Disclosure = HIDDEN,
    locked: bool = False,
    mark: float | None = None,
    state: str | None = None,
    comment: str = "",
) -> QuestionView:
    """Build the view; grading details (right answers, feedback) enter it only as `disclosure` allows."""
    prefix = f"q{position}"
    values = form_values(question, order, stored, prefix=prefix)
    fmt = question.text_format
    view = QuestionView(
        position=position, number=number, kind=question.type, field_name=prefix, text=question_html(question.text, fmt),
        max_mark=max_mark, answered=stored is not None, locked=locked,
    )  # fmt: skip
    chosen_feedback: list[Markup] = []
    match question:
        case SingleChoice() | MultipleChoice():
            for shown, original in enumerate(order.get("answers", [])):
                answer = question.answers[original]
                name = prefix if isinstance(question, SingleChoice) else f"{prefix}_{shown}"
                selected = values.get(name) == (str(shown) if isinstance(question, SingleChoice) else "1")
                show_feedback = disclosure.feedback and selected and bool(answer.feedback)
                view.options.append(
                    Option(
                        value=str(shown),
                        label=inline_html(answer.text, fmt),
                        selected=selected,
                        is_right=(answer.fraction > 0) if disclosure.correct_answers else None,
                        feedback=inline_html(answer.feedback, fmt) if show_feedback else Markup(""),
                    )  # fmt: skip
                )
        case TrueFalse():
            for value, label in (("true", _("True")), ("false", _("False"))):
                view.options.append(
                    Option(
                        value=value,
                        label=Markup(escape(label)),
                        selected=values.get(prefix) == value,
                        is_right=((value == "true") == question.correct) if disclosure.correct_answers else None,
                    )  # fmt: skip
                )
        case Matching():
            choices = matching_choices(question)
            view.match_choices = [(str(shown), choices[original]) for shown, original in enumerate(order["choices"])]
            for shown_prompt, pair_index in enumerate(order.get("prompts", [])):
                name = f"{prefix}_{shown_prompt}"
                view.match_rows.append(
                    MatchRow(
                        field_name=name,
                        prompt=inline_html(question.pairs[pair_index].prompt, fmt),
                        selected=values.get(name, ""),
                        right_answer=question.pairs[pair_index].answer if disclosure.correct_answers else None,
                    )  # fmt: skip
                )
        case Essay():
            view.typed = values.get(prefix, "") if stored is not None else question.response_template
        case ShortAnswer() | Numerical():
            view.typed = values.get(prefix, "")
        case Description():
            pass
    if disclosure.any and not isinstance(question, Description):
        outcome = grade(question, grading_response(question, stored))
        if disclosure.feedback:
            chosen_feedback = [inline_html(text, fmt) for text in outcome.feedback]
            if isinstance(question, SingleChoice | MultipleChoice):
                chosen_feedback = []  # shown beside the chosen answers instead
        shown_state = (state or outcome.state) if disclosure.marks else ""
        view.outcome = Outcome(
            state=shown_state,
            state_text=state_label(shown_state),
            mark=mark if disclosure.marks else None,
            max_mark=max_mark,
            feedback=tuple(chosen_feedback),
            general_feedback=question_html(question.general_feedback, fmt) if disclosure.feedback else Markup(""),
            right_answer=_right_answer_text(question) if disclosure.correct_answers else "",
            comment=comment if disclosure.feedback else "",
        )
    return view


def state_label(state: str) -> str:
    labels = {
        "correct": _("Correct"),
        "partial": _("Partially correct"),
        "incorrect": _("Incorrect"),
        "unanswered": _("Not answered"),
        "answered": _("Answer saved"),
        "needs_grading": _("Waiting for a trainer to grade"),
        "not_graded": "",
    }
    return labels.get(state, "")
