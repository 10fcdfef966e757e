"""The question statistics page: per-question figures and answers over a quiz's counted attempts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, field_validator
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from app.accounts.models import User
from app.courses.models import Course
from app.quizzes.interchange import Question
from app.quizzes.manage import taught_quiz
from app.quizzes.models import AttemptQuestion, AttemptState, QuestionVersion, Quiz, QuizAttempt
from app.quizzes.models import Question as BankQuestion
from app.quizzes.statistics import (
    AttemptScores,
    Distribution,
    GivenResponse,
    QuestionFigures,
    QuestionMark,
    QuizFigures,
    answer_distribution,
    question_figures,
    quiz_figures,
)

_question_adapter: TypeAdapter[Question] = TypeAdapter(Question)


class StatisticsFilters(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    attempts: Literal["all", "first"] = "all"

    @field_validator("attempts", mode="before")
    @classmethod
    def _all_when_blank(cls, value: object) -> object:
        return "all" if value is None or value == "" else value


# --- the page --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionReport:
    question_id: int
    title: str
    question_type: str
    figures: QuestionFigures
    distribution: Distribution


@dataclass(frozen=True)
class StatisticsPage:
    course: Course
    quiz: Quiz
    filters: StatisticsFilters
    quiz_figures: QuizFigures
    questions: list[QuestionReport]

    @property
    def flagged(self) -> list[QuestionReport]:
        return [report for report in self.questions if report.figures.needs_checking]


def _counted_attempts(quiz_id: int, first_only: bool) -> list[ColumnElement[bool]]:
    """Finished, non-preview attempts; with `first_only`, each learner's first of them."""
    conditions: list[ColumnElement[bool]] = [
        QuizAttempt.quiz_id == quiz_id,
        QuizAttempt.is_preview.is_(False),
        QuizAttempt.state == AttemptState.FINISHED,
    ]
    if first_only:
        earlier = aliased(QuizAttempt)
        first_number = (
            select(func.min(earlier.number))
            .where(
                earlier.quiz_id == quiz_id,
                earlier.is_preview.is_(False),
                earlier.state == AttemptState.FINISHED,
                earlier.user_id == QuizAttempt.user_id,
            )
            .scalar_subquery()
        )
        conditions.append(QuizAttempt.number == first_number)
    return conditions


_MARK_COLUMNS = (
    AttemptQuestion.attempt_id, AttemptQuestion.question_id, AttemptQuestion.version_id, AttemptQuestion.position,
    AttemptQuestion.max_mark, AttemptQuestion.mark, AttemptQuestion.response, QuizAttempt.grade,
)  # fmt: skip


def _credit(mark: float | None, max_mark: float) -> float | None:
    return mark / max_mark if mark is not None and max_mark > 0 else None


def statistics_page(session: Session, *, code: str, user: User, filters: StatisticsFilters) -> StatisticsPage:
    """Figures per question (grouped across its versions, descriptions left out) and for the quiz as a whole."""
    course, quiz = taught_quiz(session, code=code, user=user)
    counted = _counted_attempts(quiz.id, filters.attempts == "first")
    rows = session.execute(
        select(*_MARK_COLUMNS)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .where(*counted)
        .order_by(AttemptQuestion.attempt_id, AttemptQuestion.position)
    ).all()
    seen_versions = select(AttemptQuestion.version_id).join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
    versions = session.execute(
        select(QuestionVersion.id, QuestionVersion.version, QuestionVersion.data, BankQuestion.title)
        .join(BankQuestion, BankQuestion.id == QuestionVersion.question_id)
        .where(QuestionVersion.id.in_(seen_versions.where(*counted)))
    ).all()
    models = {version.id: _question_adapter.validate_python(version.data) for version in versions}
    numbers = {version.id: version.version for version in versions}
    titles = {version.id: version.title for version in versions}

    marks: dict[int, list[QuestionMark]] = {}
    grades: dict[int, float | None] = {}
    given: dict[int, list[GivenResponse]] = {}
    seen: dict[int, set[int]] = {}
    first_position: dict[int, int] = {}
    for row in rows:
        model = models[row.version_id]
        grades[row.attempt_id] = row.grade
        if model.type == "description":
            continue
        marks.setdefault(row.attempt_id, []).append(QuestionMark(row.question_id, row.mark, row.max_mark))
        given.setdefault(row.question_id, []).append(
            GivenResponse(model, row.response, _credit(row.mark, row.max_mark))
        )
        seen.setdefault(row.question_id, set()).add(row.version_id)
        first_position[row.question_id] = min(first_position.get(row.question_id, row.position), row.position)
    attempts = [AttemptScores(tuple(marks.get(attempt_id, ())), grade) for attempt_id, grade in grades.items()]
    reports = []
    for figures in question_figures(attempts):
        newest_first = sorted(seen[figures.question_id], key=lambda version_id: -numbers[version_id])
        latest = newest_first[0]
        reports.append(
            QuestionReport(
                question_id=figures.question_id,
                title=titles[latest],
                question_type=models[latest].type,
                figures=figures,
                distribution=answer_distribution(
                    [models[version_id] for version_id in newest_first], given[figures.question_id]
                ),
            )
        )
    reports.sort(key=lambda report: (first_position[report.question_id], report.question_id))
    return StatisticsPage(
        course=course, quiz=quiz, filters=filters, quiz_figures=quiz_figures(attempts), questions=reports
    )
