"""How a question appears in an attempt and how answers travel: display order, form fields, stored JSON.

Inputs are named by *displayed* positions (`q3`, `q3_1`), never by the author's answer order, because GIFT
files usually list the right answer first: an index in the HTML would give it away.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from app.quizzes.grading import Response, matching_choices
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

MAX_TYPED_ANSWER = 500
MAX_ESSAY = 20_000


def display_order_for(question: Question, rng: random.Random, *, shuffle: bool) -> dict[str, list[int]]:
    """The order an attempt shows the answers (and matching prompts and choices) in, drawn once and stored."""
    match question:
        case SingleChoice() | MultipleChoice():
            order = list(range(len(question.answers)))
            if shuffle and question.shuffle_answers:
                rng.shuffle(order)
            return {"answers": order}
        case Matching():
            prompts = [index for index, pair in enumerate(question.pairs) if pair.prompt.strip()]
            choices = list(range(len(matching_choices(question))))
            if shuffle and question.shuffle_answers:
                rng.shuffle(prompts)
            # The choices are always shuffled: in author order they would line up with the prompts.
            rng.shuffle(choices)
            return {"prompts": prompts, "choices": choices}
    return {}


def _index(value: str | None, limit: int) -> int | None:
    if value is None or not value.isdigit():
        return None
    number = int(value)
    return number if number < limit else None


def response_from_form(
    question: Question, order: Mapping[str, list[int]], form: Mapping[str, str], *, prefix: str
) -> Any:
    """The stored (JSON) response from a submitted form; None when the question was left unanswered."""
    match question:
        case SingleChoice():
            shown = _index(form.get(prefix), len(order["answers"]))
            return None if shown is None else order["answers"][shown]
        case MultipleChoice():
            chosen = sorted(
                original for shown, original in enumerate(order["answers"]) if form.get(f"{prefix}_{shown}")
            )
            return chosen or None
        case TrueFalse():
            value = form.get(prefix)
            return {"true": True, "false": False}.get(value or "")
        case ShortAnswer() | Numerical():
            text = (form.get(prefix) or "").strip()[:MAX_TYPED_ANSWER]
            return text or None
        case Essay():
            text = (form.get(prefix) or "")[:MAX_ESSAY]
            return text if text.strip() else None
        case Matching():
            choices = matching_choices(question)
            given: dict[str, str] = {}
            for shown_prompt, pair_index in enumerate(order["prompts"]):
                shown_choice = _index(form.get(f"{prefix}_{shown_prompt}"), len(order["choices"]))
                if shown_choice is not None:
                    given[str(pair_index)] = choices[order["choices"][shown_choice]]
            return given or None
    return None


def grading_response(question: Question, stored: Any) -> Response:
    """The stored JSON in the shape app.quizzes.grading expects."""
    if stored is None:
        return None
    match question:
        case MultipleChoice():
            return frozenset(stored)
        case Matching():
            return {int(index): text for index, text in stored.items()}
    return stored


def form_values(question: Question, order: Mapping[str, list[int]], stored: Any, *, prefix: str) -> dict[str, str]:
    """The saved response as the form fields that show it again (the inverse of response_from_form)."""
    if stored is None:
        return {}
    match question:
        case SingleChoice():
            return {prefix: str(order["answers"].index(stored))} if stored in order["answers"] else {}
        case MultipleChoice():
            return {f"{prefix}_{order['answers'].index(index)}": "1" for index in stored if index in order["answers"]}
        case TrueFalse():
            return {prefix: "true" if stored else "false"}
        case Matching():
            choices = matching_choices(question)
            values: dict[str, str] = {}
            for shown_prompt, pair_index in enumerate(order["prompts"]):
                text = stored.get(str(pair_index))
                for shown_choice, original in enumerate(order["choices"]):
                    if text is not None and choices[original] == text:
                        values[f"{prefix}_{shown_prompt}"] = str(shown_choice)
            return values
    return {prefix: str(stored)}
