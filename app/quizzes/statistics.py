"""Quiz statistics as pure functions: per-question facility, spread, discrimination and answer counts, quiz figures."""

from __future__ import annotations

import math
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.quizzes.grading import matching_choices
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

# Moodle's rule of thumb: questions nearly everyone or nearly no one gets right tell little about a learner.
FACILITY_LOW = 20.0
FACILITY_HIGH = 95.0
TOP_TYPED_RESPONSES = 10
# Sums of squares below this are rounding noise: the scores did not vary.
_NO_VARIANCE = 1e-12


@dataclass(frozen=True)
class QuestionMark:
    """One question as one attempt scored it; `mark` None is an essay still waiting for a trainer."""

    question_id: int
    mark: float | None
    max_mark: float


@dataclass(frozen=True)
class AttemptScores:
    """One finished attempt: its stored grade (percent, None while waiting for grading) and its marks."""

    marks: tuple[QuestionMark, ...]
    grade: float | None = None

    @property
    def score(self) -> float:
        """The sum of the graded marks; ungraded essays add nothing."""
        return math.fsum(entry.mark for entry in self.marks if entry.mark is not None)

    @property
    def complete(self) -> bool:
        return all(entry.mark is not None for entry in self.marks)


@dataclass(frozen=True)
class QuestionFigures:
    question_id: int
    attempts: int  # attempts that asked the question
    graded: int  # of those, the ones with a mark
    facility: float | None  # mean of mark / max mark, percent
    spread: float | None  # sample standard deviation of mark / max mark, percent
    discrimination: float | None  # Pearson r x 100 between the question's mark and the rest of the attempt

    @property
    def too_hard(self) -> bool:
        return self.facility is not None and self.facility < FACILITY_LOW

    @property
    def too_easy(self) -> bool:
        return self.facility is not None and self.facility > FACILITY_HIGH

    @property
    def discriminates_backwards(self) -> bool:
        """Learners who do better on the rest of the quiz do worse on this question."""
        return self.discrimination is not None and self.discrimination < 0

    @property
    def needs_checking(self) -> bool:
        """Too hard, too easy or backwards: worth a trainer's second look."""
        return self.too_hard or self.too_easy or self.discriminates_backwards


@dataclass(frozen=True)
class QuizFigures:
    attempts: int
    graded: int  # attempts with a grade (no essay waiting)
    mean: float | None
    median: float | None
    spread: float | None  # sample standard deviation of the grades
    cronbach_alpha: float | None


def _sum_of_squares(values: Sequence[float], mean: float) -> float:
    return math.fsum((value - mean) ** 2 for value in values)


def sample_deviation(values: Sequence[float]) -> float | None:
    """Sample standard deviation (n - 1), as Moodle reports it; None for fewer than two values."""
    if len(values) < 2:
        return None
    return statistics.stdev(values)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation coefficient; None with fewer than two pairs or when either side does not vary."""
    if len(xs) != len(ys):
        raise ValueError("pearson needs pairs of values")
    if len(xs) < 2:
        return None
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx, syy = _sum_of_squares(xs, mean_x), _sum_of_squares(ys, mean_y)
    if sxx < _NO_VARIANCE or syy < _NO_VARIANCE:
        return None
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def cronbach_alpha(item_scores: Sequence[Sequence[float]]) -> float | None:
    """Cronbach's alpha of a complete score table (a row per attempt, a column per question).

    alpha = k / (k - 1) x (1 - sum of the item variances / variance of the row totals). None with fewer than
    two rows or columns, or when the totals do not vary.
    """
    if len(item_scores) < 2:
        return None
    items = len(item_scores[0])
    if items < 2 or any(len(row) != items for row in item_scores):
        return None
    totals = [math.fsum(row) for row in item_scores]
    total_variance = statistics.variance(totals)
    if total_variance < _NO_VARIANCE:
        return None
    item_variance = math.fsum(statistics.variance([row[column] for row in item_scores]) for column in range(items))
    return items / (items - 1) * (1 - item_variance / total_variance)


def question_figures(attempts: Sequence[AttemptScores]) -> list[QuestionFigures]:
    """Figures per question, in the order questions first appear; ungraded essays are left out of every sum."""
    asked: Counter[int] = Counter()
    percents: dict[int, list[float]] = {}
    marks: dict[int, list[float]] = {}
    rests: dict[int, list[float]] = {}
    for attempt in attempts:
        score = attempt.score
        for entry in attempt.marks:
            asked[entry.question_id] += 1
            percents.setdefault(entry.question_id, [])
            if entry.mark is None or entry.max_mark <= 0:
                continue
            percents[entry.question_id].append(entry.mark / entry.max_mark * 100)
            marks.setdefault(entry.question_id, []).append(entry.mark)
            rests.setdefault(entry.question_id, []).append(score - entry.mark)
    figures = []
    for question_id, values in percents.items():
        r = pearson(marks.get(question_id, []), rests.get(question_id, []))
        figures.append(
            QuestionFigures(
                question_id=question_id,
                attempts=asked[question_id],
                graded=len(values),
                facility=statistics.fmean(values) if values else None,
                spread=sample_deviation(values),
                discrimination=None if r is None else r * 100,
            )
        )
    return figures


def _shared_questions(attempts: Sequence[AttemptScores]) -> list[int]:
    """Questions every given attempt asked, in first-seen order (random draws make the sets differ)."""
    if not attempts:
        return []
    shared = set.intersection(*({entry.question_id for entry in attempt.marks} for attempt in attempts))
    return [entry.question_id for entry in attempts[0].marks if entry.question_id in shared]


def quiz_figures(attempts: Sequence[AttemptScores]) -> QuizFigures:
    """Grade figures over the graded attempts; alpha over the fully graded ones and the questions they share."""
    grades = [attempt.grade for attempt in attempts if attempt.grade is not None]
    complete = [attempt for attempt in attempts if attempt.complete]
    shared = _shared_questions(complete)
    table = [
        [
            next(entry.mark or 0.0 for entry in attempt.marks if entry.question_id == question_id)
            for question_id in shared
        ]
        for attempt in complete
    ]
    return QuizFigures(
        attempts=len(attempts),
        graded=len(grades),
        mean=statistics.fmean(grades) if grades else None,
        median=statistics.median(grades) if grades else None,
        spread=sample_deviation(grades),
        cronbach_alpha=cronbach_alpha(table) if shared else None,
    )


# --- answer distributions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GivenResponse:
    """What one attempt answered to a question: the version it saw (interchange model) and the stored JSON."""

    question: Question
    response: Any
    fraction: float | None = None  # credit earned (mark / max mark); None while an essay waits for a trainer


@dataclass(frozen=True)
class AnswerCount:
    """How often an answer was given. `credit` is the answer's fraction (1.0 right), None when it varies."""

    text: str
    credit: float | None
    count: int
    share: float  # of the attempts that asked the question, 0..1
    truth: bool | None = None  # true/false questions: which of the two this row is


@dataclass(frozen=True)
class PromptCounts:
    """A matching question's prompt with the answers chosen for it."""

    prompt: str
    answers: tuple[AnswerCount, ...]
    unanswered: int


AnswerKey = tuple[str, float | None]  # (answer text, its credit)
DistributionKind = Literal["choices", "true_false", "typed", "matching", "essay", "none"]


@dataclass(frozen=True)
class Distribution:
    kind: DistributionKind
    asked: int
    text_format: str = "plain"
    answers: tuple[AnswerCount, ...] = ()
    prompts: tuple[PromptCounts, ...] = ()
    unanswered: int = 0
    others: int = 0  # typed responses beyond the most frequent ones
    answered: int = 0  # essays
    graded: int = 0  # essays


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _counted(keys: Iterable[AnswerKey], counts: Counter[AnswerKey], total: int) -> tuple[AnswerCount, ...]:
    return tuple(
        AnswerCount(text, credit, counts[(text, credit)], _share(counts[(text, credit)], total))
        for text, credit in keys
    )


def normalised_typed(text: str) -> str:
    """How typed answers are grouped: NFC, case folded, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _is_index(value: object, limit: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < limit


def _choice_distribution(
    versions: Sequence[SingleChoice | MultipleChoice], given: Sequence[GivenResponse]
) -> Distribution:
    # Rows are keyed by text and credit, so an answer kept through an edit stays one row across versions.
    keys: list[AnswerKey] = list(
        dict.fromkeys((answer.text, answer.fraction) for version in versions for answer in version.answers)
    )
    counts: Counter[AnswerKey] = Counter()
    unanswered = 0
    for item in given:
        question = item.question
        if not isinstance(question, SingleChoice | MultipleChoice):
            continue
        chosen = item.response if isinstance(item.response, list) else [item.response]
        indexes = [index for index in chosen if _is_index(index, len(question.answers))]
        if not indexes:
            unanswered += 1
        for index in dict.fromkeys(indexes):
            key = (question.answers[index].text, question.answers[index].fraction)
            if key not in counts and key not in keys:
                keys.append(key)
            counts[key] += 1
    return Distribution(
        kind="choices", asked=len(given), text_format=versions[0].text_format,
        answers=_counted(keys, counts, len(given)), unanswered=unanswered,
    )  # fmt: skip


def _true_false_distribution(latest: TrueFalse, given: Sequence[GivenResponse]) -> Distribution:
    counts: Counter[bool] = Counter()
    unanswered = 0
    for item in given:
        if isinstance(item.response, bool):
            counts[item.response] += 1
        else:
            unanswered += 1
    rows = tuple(
        AnswerCount(
            "", 1.0 if latest.correct == truth else 0.0, counts[truth], _share(counts[truth], len(given)), truth
        )
        for truth in (True, False)
    )
    return Distribution(kind="true_false", asked=len(given), answers=rows, unanswered=unanswered)


def _typed_distribution(given: Sequence[GivenResponse]) -> Distribution:
    counts: Counter[str] = Counter()
    credits: dict[str, set[float | None]] = {}
    unanswered = 0
    for item in given:
        typed = normalised_typed(item.response) if isinstance(item.response, str) else ""
        if not typed:
            unanswered += 1
            continue
        counts[typed] += 1
        credits.setdefault(typed, set()).add(item.fraction)
    top = counts.most_common(TOP_TYPED_RESPONSES)
    answers = tuple(
        AnswerCount(
            text, next(iter(credits[text])) if len(credits[text]) == 1 else None, count, _share(count, len(given))
        )
        for text, count in top
    )
    others = sum(counts.values()) - sum(count for _text, count in top)
    return Distribution(kind="typed", asked=len(given), answers=answers, unanswered=unanswered, others=others)


def _matching_distribution(versions: Sequence[Matching], given: Sequence[GivenResponse]) -> Distribution:
    prompts: dict[str, list[AnswerKey]] = {}
    for version in versions:
        choices = matching_choices(version)
        for pair in version.pairs:
            if pair.prompt.strip():
                keys = prompts.setdefault(pair.prompt, [])
                keys.extend(
                    key
                    for key in ((choice, 1.0 if choice == pair.answer else 0.0) for choice in choices)
                    if key not in keys
                )
    counts: dict[str, Counter[AnswerKey]] = {}
    unanswered: Counter[str] = Counter()
    for item in given:
        question = item.question
        response = item.response if isinstance(item.response, dict) else {}
        if not isinstance(question, Matching):
            continue
        for index, pair in enumerate(question.pairs):
            if not pair.prompt.strip():
                continue
            chosen = response.get(str(index))
            if not isinstance(chosen, str) or not chosen:
                unanswered[pair.prompt] += 1
                continue
            key = (chosen, 1.0 if chosen == pair.answer else 0.0)
            keys = prompts.setdefault(pair.prompt, [])
            if key not in keys:
                keys.append(key)
            counts.setdefault(pair.prompt, Counter())[key] += 1
    rows = tuple(
        PromptCounts(prompt, _counted(keys, counts.get(prompt, Counter()), len(given)), unanswered[prompt])
        for prompt, keys in prompts.items()
    )
    return Distribution(kind="matching", asked=len(given), text_format=versions[0].text_format, prompts=rows)


def _essay_distribution(given: Sequence[GivenResponse]) -> Distribution:
    answered = [item for item in given if isinstance(item.response, str) and item.response.strip()]
    graded = sum(1 for item in answered if item.fraction is not None)
    return Distribution(
        kind="essay", asked=len(given), answered=len(answered), graded=graded, unanswered=len(given) - len(answered)
    )


def answer_distribution(versions: Sequence[Question], given: Sequence[GivenResponse]) -> Distribution:
    """How the attempts answered one question. `versions`: the versions they saw, newest first (it sets the order)."""
    if not versions:
        return Distribution(kind="none", asked=len(given))
    latest = versions[0]
    match latest:
        case SingleChoice() | MultipleChoice():
            choices = [version for version in versions if isinstance(version, SingleChoice | MultipleChoice)]
            return _choice_distribution(choices, given)
        case TrueFalse():
            return _true_false_distribution(latest, given)
        case ShortAnswer() | Numerical():
            return _typed_distribution(given)
        case Matching():
            return _matching_distribution([version for version in versions if isinstance(version, Matching)], given)
        case Essay():
            return _essay_distribution(given)
    return Distribution(kind="none", asked=len(given))
